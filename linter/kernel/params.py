"""Typed models of the memory parameters, read exactly as their kernel handlers read them.

``memmap=`` (arch/x86/kernel/e820.c ``parse_memmap_opt``/``parse_memmap_one``), ``mem=``
(``parse_memopt``) and ``reserve_mem=`` (mm/memblock.c ``reserve_mem``); the consumers
(``ramoops.*``, ``trace_instance=``) are read in ``kernel/consumers.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.e820 import ACPI, PRAM, RAM, RESERVED, U32
from memmap_lint.kernel.model import RFC
from memmap_lint.kernel.release import Kernel
from memmap_lint.kernel.sizes import Parsed, memparse, strtoull

#: The add forms of memmap=: the character after the size and the type it adds.
ADD_FORMS = {"@": RAM, "#": ACPI, "$": RESERVED, "!": PRAM}


@dataclass(frozen=True, slots=True)
class MemmapItem:
    """One comma-separated piece of a ``memmap=`` value.

    ``form`` is the branch of ``parse_memmap_one`` the kernel takes:
    ``exactmap``, ``none`` (no number: nothing happens), ``@ # $ !`` (add), ``%`` (update),
    ``*`` (the RFC wildcard, only when parsed for the rfc dialect) or ``limit`` (everything else:
    RAM above ``size`` is removed). ``trailing`` is what the kernel left unread (its return is then
    -EINVAL, after acting, except for ``%``, which returns before acting).
    """

    param: Param
    text: str
    offset: int
    form: str
    size: Parsed | None = None
    start: Parsed | None = None
    old_type: int = 0
    new_type: int = 0
    old_raw: Parsed | None = None
    new_raw: Parsed | None = None
    align: Parsed | None = None
    name: str | None = None
    trailing: str = ""

    @property
    def stop_char(self) -> str:
        """The character right after the size (``""`` at the end of the piece)."""
        if self.size is None:
            return ""
        return self.text[self.size.end : self.size.end + 1]

    @property
    def hits_update_bug(self) -> bool:
        """``%`` with equal non-zero types: ``__e820__range_update()`` reaches
        ``BUG_ON(old_type == new_type)`` (arch/x86/kernel/e820.c)."""
        return (
            self.form == "%"
            and not self.trailing
            and bool(self.old_type)
            and self.old_type == self.new_type
        )

    @property
    def appends(self) -> tuple[int, int] | None:
        """The entry this piece appends to the table as (start, size), when it surely appends
        one: the add forms, and ``%`` with only a new type (``e820__range_add()``)."""
        if self.size is None or self.start is None or (self.trailing and self.form == "%"):
            return None
        if self.form in ADD_FORMS:
            return self.start.value, self.size.value
        if self.form == "%" and self.new_type and not self.old_type:
            return self.start.value, self.size.value
        return None

    @property
    def acts(self) -> bool:
        """Whether the kernel changes the table for this piece (a rejected ``%`` does not)."""
        if self.form == "none":
            return False
        return not (self.form == "%" and self.trailing)


def memmap_items(param: Param, wildcard: bool) -> list[MemmapItem]:
    """Split a ``memmap=`` parameter on commas and read each piece (``wildcard``: RFC patch)."""
    if param.value is None:
        return []
    base = param.value_start if param.value_start is not None else param.start
    items: list[MemmapItem] = []
    offset = 0
    for piece in param.value.split(","):
        items.append(read_memmap_item(param, piece, base + offset, wildcard))
        offset += len(piece) + 1
    return items


def kernel_items(param: Param, kernel: Kernel) -> list[MemmapItem]:
    """The pieces of a ``memmap=`` value as ``kernel`` reads them (the wildcard only on RFC)."""
    return memmap_items(param, wildcard=kernel.dialect == RFC)


def read_memmap_item(param: Param, p: str, offset: int, wildcard: bool) -> MemmapItem:
    """``parse_memmap_one(p)`` without acting: which branch, with what numbers."""
    if p.startswith("exactmap"):
        return MemmapItem(param, p, offset, "exactmap")
    size = memparse(p)
    if not size.consumed:
        return MemmapItem(param, p, offset, "none", trailing=p)
    pos = size.end
    c = p[pos : pos + 1]
    if c in ADD_FORMS:
        start = memparse(p, pos + 1)
        return MemmapItem(param, p, offset, c, size, start, trailing=p[start.end :])
    if c == "%":
        start = memparse(p, pos + 1)
        q = start.end
        old_raw = new_raw = None
        old = new = 0
        if p[q : q + 1] == "-":
            old_raw = strtoull(p, q + 1)
            old = old_raw.value & U32  # enum e820_type is 32 bits wide
            q = old_raw.end
        if p[q : q + 1] == "+":
            new_raw = strtoull(p, q + 1)
            new = new_raw.value & U32
            q = new_raw.end
        return MemmapItem(
            param, p, offset, "%", size, start, old, new, old_raw, new_raw, trailing=p[q:]
        )
    if c == "*" and wildcard:
        align = memparse(p, pos + 1)
        q = align.end
        if p[q : q + 1] != ":":
            return MemmapItem(param, p, offset, "*", size, align=align, trailing=p[q:])
        return MemmapItem(param, p, offset, "*", size, align=align, name=p[q + 1 :])
    return MemmapItem(param, p, offset, "limit", size, trailing=p[pos:])


@dataclass(frozen=True, slots=True)
class MemOption:
    """``mem=``: ``limit`` is None when the kernel ignores the value (``nopentium``, 0, no value)."""

    param: Param
    parsed: Parsed | None
    nopentium: bool

    @property
    def limit(self) -> int | None:
        if self.parsed is None or self.nopentium or self.parsed.value == 0:
            return None
        return self.parsed.value


def read_mem(param: Param) -> MemOption:
    if param.value is None:
        return MemOption(param, None, False)
    if param.value == "nopentium":
        return MemOption(param, None, True)
    return MemOption(param, memparse(param.value), False)


#: lib/ctype.c isspace(): 0x09-0x0D, 0x20 and 0xA0 (a lone 0xA0 byte decodes to U+DCA0).
_KERNEL_SPACE = frozenset("\t\n\v\f\r \udca0")

#: SMP_CACHE_BYTES on x86 (L1_CACHE_SHIFT 6): reserve_mem's smallest alignment.
SMP_CACHE_BYTES = 64
RESERVE_MEM_MAX_ENTRIES = 8
RESERVE_MEM_NAME_SIZE = 16


@dataclass(frozen=True, slots=True)
class ReserveMemSpec:
    """``reserve_mem=size:align:name`` as mm/memblock.c reads it; ``error`` says why it is rejected
    and ``fault`` which check refused it: ``value``, ``size``, ``size-colon`` (no ``:`` after the
    size), ``align-colon`` (none after the alignment), ``name``, ``blank``."""

    param: Param
    size: Parsed | None
    align: Parsed | None
    name: str | None
    error: str | None
    fault: str | None = None

    @property
    def effective_align(self) -> int:
        """The alignment memblock uses (below SMP_CACHE_BYTES it becomes 64)."""
        a = self.align.value if self.align is not None else 0
        return max(a, SMP_CACHE_BYTES)


def read_reserve_mem(param: Param, value: str | None) -> ReserveMemSpec:
    """Parse the text after ``reserve_mem=`` (checks that do not depend on other parameters)."""
    if value is None:
        return ReserveMemSpec(param, None, None, None, "no value", "value")
    size = memparse(value)
    if not size.consumed or size.value == 0:
        return ReserveMemSpec(param, size, None, None, "size is missing or zero", "size")
    if value[size.end : size.end + 1] != ":":
        return ReserveMemSpec(param, size, None, None, "no ':' after the size", "size-colon")
    align = memparse(value, size.end + 1)
    if value[align.end : align.end + 1] != ":":
        return ReserveMemSpec(param, size, align, None, "no ':' after the alignment", "align-colon")
    name = value[align.end + 1 :]
    faults = reserve_mem_name_faults(name)
    if "empty" in faults or "too-long" in faults:
        return ReserveMemSpec(param, size, align, name, "name empty or 16 bytes or longer", "name")
    if "blank" in faults:
        return ReserveMemSpec(param, size, align, name, "name has no visible character", "blank")
    return ReserveMemSpec(param, size, align, name, None)


def reserve_mem_name_faults(name: str) -> frozenset[str]:
    """What mm/memblock.c ``reserve_mem()`` (6.12) finds wrong with a name: ``empty`` or
    ``too-long`` (``!len || len >= RESERVE_MEM_NAME_SIZE``), ``blank`` (its "Make sure that name
    has text" loop finds no byte that is not ``isspace()``). The kernel stops at the first."""
    faults = set()
    if not name:
        faults.add("empty")
    elif len(name.encode("utf-8", "surrogateescape")) >= RESERVE_MEM_NAME_SIZE:
        faults.add("too-long")
    if name and all(c in _KERNEL_SPACE for c in name):
        faults.add("blank")
    return frozenset(faults)
