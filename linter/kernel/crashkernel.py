"""The crash kernel: ``crashkernel=`` as kernel/crash_core.c reads it and where x86's
``reserve_crashkernel()`` puts it in memblock, before ``reserve_mem=`` runs."""

from __future__ import annotations

from dataclasses import dataclass

from memmap_lint.kernel.cmdline import Cmdline, Param
from memmap_lint.kernel.dialects.memblock import Memblock
from memmap_lint.kernel.release import Kernel
from memmap_lint.kernel.sizes import U64, memparse

MIB = 1 << 20
GIB = 1 << 30
PAGE = 4096
CRASH_ALIGN = 16 * MIB
CRASH_ADDR_LOW_MAX = 4 * GIB
CRASH_ADDR_HIGH_MAX = 64 << 40
#: DEFAULT_CRASH_KERNEL_LOW_SIZE on x86: max(swiotlb default 64 MiB + 8 MiB, 256 MiB).
CRASH_LOW_DEFAULT = 256 * MIB


@dataclass(frozen=True, slots=True)
class Crash:
    """The ``crashkernel=`` the kernel uses: ``base`` 0 means "let the kernel choose"."""

    param: Param | None
    offset: int
    text: str
    size: int
    base: int
    high: bool
    low: int


def _last(text: str, suffix: str | None) -> int | None:
    """``get_last_crashkernel()``: the index of the value of the crashkernel= that counts."""
    name = "crashkernel="
    found = None
    at = text.find(name)
    while at != -1:
        end = text.find(" ", at)
        token = text[at : end if end != -1 else len(text)]
        if suffix is None:
            if not (token.endswith(",high") or token.endswith(",low")):
                found = at
        elif token.endswith(suffix):
            found = at
        at = text.find(name, at + 1)
    return None if found is None else found + len(name)


def _ranges(value: str, system_ram: int) -> tuple[int, int] | None:
    """``parse_crashkernel_mem()``: (size, base) for ``start-[end]:size,...[@offset]``."""
    cur = 0
    size = 0
    while True:
        start = memparse(value, cur)
        if not start.consumed or value[start.end : start.end + 1] != "-":
            return None
        cur = start.end + 1
        end = U64
        if value[cur : cur + 1] != ":":
            e = memparse(value, cur)
            if not e.consumed or e.value <= start.value:
                return None
            end, cur = e.value, e.end
        if value[cur : cur + 1] != ":":
            return None
        s = memparse(value, cur + 1)
        if not s.consumed or s.value >= system_ram:
            return None
        cur = s.end
        if start.value <= system_ram < end:
            size = s.value
            break
        sep = value[cur : cur + 1]
        cur += 1
        if sep != ",":
            break
    base = 0
    if size:
        while cur < len(value) and value[cur] not in " @":
            cur += 1
        if value[cur : cur + 1] == "@":
            b = memparse(value, cur + 1)
            if not b.consumed:
                return None
            base = b.value
    return size, base


def read_crashkernel(cmdline: Cmdline, system_ram: int) -> Crash | None:
    """The crash kernel request as kernel/crash_core.c ``__parse_crashkernel()`` reads it."""
    text = cmdline.text
    if cmdline.truncated_at is not None:
        text = text[: cmdline.truncated_at]
    high = False
    pos = _last(text, None)
    if pos is not None:
        value = text[pos:]
        colon, space = value.find(":"), value.find(" ")
        if colon != -1 and (space == -1 or colon < space):
            got = _ranges(value, system_ram)
            if got is None:
                return None
            size, base = got
        else:
            s = memparse(value)
            if not s.consumed:
                return None
            c = value[s.end : s.end + 1]
            base = 0
            if c == "@":
                base = memparse(value, s.end + 1).value
            elif c not in (" ", ""):
                return None
            size = s.value
    else:
        pos = _last(text, ",high")
        if pos is None:
            return None
        s = memparse(text, pos)
        if not s.consumed or not text.startswith(",high", s.end):
            return None
        size, base, high = s.value, 0, True
    if not size:
        return None
    low = 0
    if high:
        low_pos = _last(text, ",low")
        low = memparse(text, low_pos).value if low_pos is not None else CRASH_LOW_DEFAULT
    start = pos - len("crashkernel=")
    param = next((p for p in cmdline.params if p.start <= start < p.end), None)
    raw = param.raw if param else text[start:].split(" ", 1)[0]
    size = (size + PAGE - 1) // PAGE * PAGE
    return Crash(param, start, raw, size, base, high, low)


def place(mb: Memblock, crash: Crash, kernel: Kernel) -> int | None:
    """Where ``reserve_crashkernel()`` puts the crash kernel in ``mb`` (None: it fails).

    A fixed base is aligned to 1 MiB before 6.9 and to ``CRASH_ALIGN`` by the generic
    reservation code of 6.9+ (kernel/crash_reserve.c).
    """
    generic = kernel.version is None or kernel.version >= (6, 9, 0)
    align_fixed = CRASH_ALIGN if generic else MIB
    if crash.base:
        return mb.alloc(crash.size, align_fixed, crash.base, crash.base + crash.size)
    first = (CRASH_ADDR_LOW_MAX, CRASH_ADDR_HIGH_MAX) if crash.high else (0, CRASH_ADDR_LOW_MAX)
    second = (0, CRASH_ADDR_LOW_MAX) if crash.high else (CRASH_ADDR_LOW_MAX, CRASH_ADDR_HIGH_MAX)
    at = mb.alloc(crash.size, CRASH_ALIGN, *first)
    low = crash.low
    if at is None:
        at = mb.alloc(crash.size, CRASH_ALIGN, *second)
        if not crash.high:
            low = CRASH_LOW_DEFAULT
    if at is not None and at >= CRASH_ADDR_LOW_MAX and low:
        mb.alloc(low, CRASH_ALIGN, 0, CRASH_ADDR_LOW_MAX)
    return at
