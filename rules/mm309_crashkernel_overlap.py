"""``crashkernel=`` and a region or explicit reservation that claim the same memory.

What it finds:
    ``crashkernel=size@offset`` whose range meets a placed wildcard region or an explicit
    ``memmap=`` reservation (``$``, ``#``, ``!``, ``%...+type``): the crash kernel's reservation
    then fails. On Linux >= 6.11 it also finds ``reserve_mem=`` regions that no longer fit once
    the crash kernel has taken its memory, and says where a ``reserve_mem=`` region goes when the
    simulator's approximate address lies on a fixed crash range. Overlaps between regions and
    explicit reservations are MM302's.

Why it matters:
    ``memmap=`` edits the e820 table in ``parse_early_param()``; reserved entries never become
    memblock memory. ``crashkernel=`` is reserved later in ``setup_arch()`` with
    ``memblock_phys_alloc_range()``: for a fixed offset the whole range must be free memblock
    memory (aligned to 1 MiB on 6.1, to CRASH_ALIGN, 16 MiB, from the generic code of 6.9 on),
    otherwise the kernel prints "crashkernel reservation failed - memory is in use." and kdump
    has no memory. ``crashkernel=size`` without an offset is placed by the kernel: top-down below
    4 GiB first, 16 MiB aligned, then above 4 GiB (with 256 MiB more below 4 GiB for DMA); it
    avoids e820 reservations, so it cannot meet an RFC region, but it is taken before
    ``reserve_mem=`` runs (a ``__setup`` parameter handled in ``start_kernel()``, mm/memblock.c memblock_phys_alloc_range()),
    so it shrinks the room a region has. The kernel uses the last ``crashkernel=`` without a
    ``,high``/``,low`` suffix (``get_last_crashkernel()``, a plain substring search).

Example:
    ``memmap=12M*4096:oops crashkernel=256M@0x270000000`` on an RFC kernel and a machine whose
    region lands at the top of RAM, inside that range.

How to fix:
    Give the crash kernel a range clear of every reservation, or let the kernel place it
    (``crashkernel=256M``); on Linux >= 6.11 leave room for both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.dialects.memblock import Memblock, memory_ranges
from memmap_lint.kernel.model import MAINLINE, PLACED
from memmap_lint.kernel.placement import reserved_regions
from memmap_lint.kernel.sizes import U64, human, kernel_size, memparse
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._mm3_common import GIB, MIB, rng, shown

CODE = "MM309"
NAME = "crashkernel-overlap"
SEVERITY = "error"
NEEDS_E820 = True

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


def read_crashkernel(ctx: HostContext, system_ram: int) -> Crash | None:
    """The crash kernel request as kernel/crash_core.c ``__parse_crashkernel()`` reads it."""
    text = ctx.cmdline.text
    if ctx.cmdline.truncated_at is not None:
        text = text[: ctx.cmdline.truncated_at]
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
    param = next((p for p in ctx.cmdline.params if p.start <= start < p.end), None)
    raw = param.raw if param else text[start:].split(" ", 1)[0]
    size = (size + PAGE - 1) // PAGE * PAGE
    return Crash(param, start, raw, size, base, high, low)


def _place_crash(mb: Memblock, crash: Crash, align_fixed: int) -> int | None:
    """Where reserve_crashkernel puts the crash kernel in the model (None: it fails)."""
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


def _hit(crash: Crash, message: str, severity: str | None = None) -> Hit:
    return Hit(message, param=crash.param, offset=crash.offset, text=crash.text, severity=severity)


def check(ctx: HostContext) -> Iterator[Hit]:
    sim = ctx.sim
    if sim is None or sim.panic:
        return
    system_ram = sum(t - s for s, t in memory_ranges(sim.table))
    crash = read_crashkernel(ctx, system_ram)
    if crash is None:
        return
    generic = ctx.kernel.version is None or ctx.kernel.version >= (6, 9, 0)
    if crash.base:
        lo, hi = crash.base, crash.base + crash.size
        claims = [
            (shown(r), r.start, r.start + r.size)
            for r in reserved_regions(sim)
            if r.kind == "memmap-wildcard" and r.start is not None
        ]
        claims += [(f"memmap={text}", s, s + n) for s, n, _p, text in sim.reservations]
        for what, s, e in claims:
            a, b = max(lo, s), min(hi, e)
            if a < b:
                yield _hit(
                    crash,
                    f"{crash.text} asks for {rng(lo, hi)}, and {what} reserves {rng(a, b)} of it "
                    "in the e820 map first (parse_early_param()); reserved memory is not memblock "
                    "memory, so reserve_crashkernel() fails with 'crashkernel reservation failed "
                    "- memory is in use.' and kdump gets no memory. Move the crash kernel, or let "
                    f"the kernel place it (crashkernel={kernel_size(crash.size)}).",
                )
                return
    if sim.dialect != MAINLINE:
        return
    regions = [r for r in sim.regions if r.kind == "reserve_mem" and r.status == PLACED]
    if not regions:
        return
    mb = Memblock.for_table(sim.table, ctx.thresholds.headroom)
    at = _place_crash(mb, crash, CRASH_ALIGN if generic else MIB)
    if at is None:
        return
    where = (
        f"at {rng(at, at + crash.size)}"
        if crash.base
        else f"at about {rng(at, at + crash.size)} (top-down, below 4 GiB first)"
    )
    for r in regions:
        assert r.start is not None
        start = mb.alloc(r.size, r.align or 64)
        if start is None:
            yield _hit(
                crash,
                f"{crash.text}: setup_arch() reserves {human(crash.size)} for the crash kernel "
                f"{where} before reserve_mem= runs, and then {shown(r)} finds no room: "
                "reserve_mem() returns -ENOMEM, nothing is reserved and nothing is printed. "
                "Leave room for both (approximate: the early allocations are modelled).",
            )
        elif crash.base and r.start < crash.base + crash.size and crash.base < r.start + r.size:
            yield _hit(
                crash,
                f"{crash.text} and {shown(r)}: the simulator's approximate address for the "
                f"region lies in the crash kernel's {rng(crash.base, crash.base + crash.size)}, "
                "but the crash kernel is reserved first (setup_arch()), so the region goes "
                f"elsewhere, about {rng(start, start + r.size)}.",
                "info",
            )
