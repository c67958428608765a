"""The x86 e820 table as arch/x86/kernel/e820.c keeps it, operation for operation.

The kernel's table is a fixed array of slots with a count, ``nr_entries``. Slots past the count
keep whatever they held before (the RFC's wildcard search reads one of them), so the table here is
a list of mutable slots plus a count, and every primitive is a transcription of its kernel function
with u64 arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

U64 = (1 << 64) - 1
U32 = (1 << 32) - 1

RAM = 1
RESERVED = 2
ACPI = 3
NVS = 4
UNUSABLE = 5
PMEM = 7
PRAM = 12
RESERVED_KERN = 128
SOFT_RESERVED = 0xEFFFFFFF

#: Debian amd64 (CONFIG_NODES_SHIFT=10): E820_MAX_ENTRIES_ZEROPAGE + 3 * MAX_NUMNODES.
DEFAULT_MAX_ENTRIES = 128 + 3 * 1024

_PRINT_NAMES = {
    RAM: "usable",
    RESERVED_KERN: "usable",
    RESERVED: "reserved",
    SOFT_RESERVED: "soft reserved",
    ACPI: "ACPI data",
    NVS: "ACPI NVS",
    UNUSABLE: "unusable",
    PMEM: "persistent (type 7)",
    PRAM: "persistent (type 12)",
}

#: The names kernels >= 7.0 print (Ingo Molnar's e820 series) and other spellings seen in logs.
_NAME_ALIASES = {
    "usable": RAM,
    "system ram": RAM,
    "reserved": RESERVED,
    "device reserved": RESERVED,
    "acpi data": ACPI,
    "acpi tables": ACPI,
    "acpi nvs": NVS,
    "acpi non-volatile storage": NVS,
    "unusable": UNUSABLE,
    "unusable memory": UNUSABLE,
    "persistent (type 7)": PMEM,
    "persistent memory": PMEM,
    "persistent (type 12)": PRAM,
    "persistent memory (legacy)": PRAM,
    "persistent ram": PRAM,
    "soft reserved": SOFT_RESERVED,
}


def type_name(etype: int) -> str:
    """The string ``e820_print_type()`` prints for a type."""
    return _PRINT_NAMES.get(etype, f"type {etype}")


def parse_type_name(text: str) -> int | None:
    """The type number behind a printed type name, or None when the name is unknown."""
    key = " ".join(text.strip().lower().split())
    if key in _NAME_ALIASES:
        return _NAME_ALIASES[key]
    if key.startswith("type "):
        digits = key[5:]
        if digits.isdigit():
            return int(digits) & U32
    return None


def is_usable(etype: int) -> bool:
    """RAM as far as memblock is concerned (E820_TYPE_RAM or E820_TYPE_RESERVED_KERN)."""
    return etype in (RAM, RESERVED_KERN)


@dataclass(frozen=True, slots=True)
class Entry:
    """One e820 range: ``[start, start + size)`` of a type."""

    start: int
    size: int
    type: int

    @property
    def end(self) -> int:
        """Exclusive end (may exceed 2**64 - 1 for entries the kernel would call wrapping)."""
        return self.start + self.size

    @property
    def last(self) -> int:
        """Inclusive end, as the kernel prints it."""
        return (self.start + self.size - 1) & U64

    def describe(self) -> str:
        """``[mem 0x...-0x...] type`` exactly as ``e820__print_table`` prints it."""
        return f"[mem {self.start:#018x}-{self.last:#018x}] {type_name(self.type)}"


@dataclass(slots=True)
class Table:
    """A mutable e820 table: slots (``[addr, size, type]``) and the count ``nr_entries``."""

    slots: list[list[int]] = field(default_factory=list)
    nr_entries: int = 0
    max_entries: int = DEFAULT_MAX_ENTRIES
    #: Messages the kernel prints while editing (pr_err/pr_debug), in order.
    log: list[str] = field(default_factory=list)

    @classmethod
    def from_entries(
        cls, entries: Iterable[Entry], max_entries: int = DEFAULT_MAX_ENTRIES
    ) -> Table:
        """A table whose first slots hold ``entries`` (as the firmware handed them over)."""
        slots = [[e.start & U64, e.size & U64, e.type & U32] for e in entries]
        return cls(slots=slots, nr_entries=len(slots), max_entries=max_entries)

    def slot(self, index: int) -> Entry | None:
        """The contents of slot ``index`` whether or not it is inside the table (None: never written).

        Slots past the ones ever written hold zeros in the kernel (static __initdata), which is
        what ``Entry(0, 0, 0)`` means; None is returned only past the array's end.
        """
        if index >= self.max_entries or index < 0:
            return None
        if index < len(self.slots):
            a, s, t = self.slots[index]
            return Entry(a, s, t)
        return Entry(0, 0, 0)

    def entries(self) -> list[Entry]:
        """The live entries, slots ``[0, nr_entries)``."""
        return [Entry(a, s, t) for a, s, t in self.slots[: self.nr_entries]]

    def _write(self, index: int, addr: int, size: int, etype: int) -> None:
        while len(self.slots) <= index:
            self.slots.append([0, 0, 0])
        self.slots[index] = [addr & U64, size & U64, etype & U32]

    # -- arch/x86/kernel/e820.c primitives -------------------------------------------------

    def range_add(self, start: int, size: int, etype: int) -> bool:
        """``__e820__range_add``: append a slot; a full table drops it with a message."""
        start &= U64
        size &= U64
        if self.nr_entries >= self.max_entries:
            self.log.append(
                f"too many entries; ignoring [mem {start:#010x}-{(start + size - 1) & U64:#010x}]"
            )
            return False
        self._write(self.nr_entries, start, size, etype)
        self.nr_entries += 1
        return True

    def range_update(self, start: int, size: int, old_type: int, new_type: int) -> int:
        """``__e820__range_update``; the caller must rule out ``old_type == new_type`` (BUG_ON)."""
        start &= U64
        size &= U64
        if size > U64 - start:
            size = U64 - start
        end = start + size
        self.log.append(
            f"e820: update [mem {start:#010x}-{(end - 1) & U64:#010x}] "
            f"{type_name(old_type)} ==> {type_name(new_type)}"
        )
        updated = 0
        i = 0
        while i < self.nr_entries:  # the kernel re-reads nr_entries: appended slots are visited
            slot = self.slots[i]
            i += 1
            if slot[2] != old_type:
                continue
            addr, esize = slot[0], slot[1]
            entry_end = (addr + esize) & U64
            if addr >= start and entry_end <= end:
                slot[2] = new_type & U32
                updated += esize
                continue
            if addr < start and entry_end > end:
                self.range_add(start, size, new_type)
                self.range_add(end, entry_end - end, slot[2])
                slot[1] = (start - addr) & U64
                updated += size
                continue
            final_start = max(start, addr)
            final_end = min(end, entry_end)
            if final_start >= final_end:
                continue
            self.range_add(final_start, final_end - final_start, new_type)
            updated += final_end - final_start
            slot[1] = (slot[1] - (final_end - final_start)) & U64
            if addr < final_start:
                continue
            slot[0] = final_end
        return updated & U64

    def range_remove(self, start: int, size: int, old_type: int, check_type: bool) -> int:
        """``e820__range_remove``: fully covered slots are zeroed in place (kept until sanitize)."""
        start &= U64
        size &= U64
        if size > U64 - start:
            size = U64 - start
        end = start + size
        suffix = f" {type_name(old_type)}" if check_type else ""
        self.log.append(f"e820: remove [mem {start:#010x}-{(end - 1) & U64:#010x}]{suffix}")
        removed = 0
        i = 0
        while i < self.nr_entries:
            slot = self.slots[i]
            i += 1
            if check_type and slot[2] != old_type:
                continue
            addr, esize = slot[0], slot[1]
            entry_end = (addr + esize) & U64
            if addr >= start and entry_end <= end:
                removed += esize
                slot[0] = slot[1] = slot[2] = 0
                continue
            if addr < start and entry_end > end:
                self.range_add(end, entry_end - end, slot[2])
                slot[1] = (start - addr) & U64
                removed += size
                continue
            final_start = max(start, addr)
            final_end = min(end, entry_end)
            if final_start >= final_end:
                continue
            removed += final_end - final_start
            slot[1] = (slot[1] - (final_end - final_start)) & U64
            if addr < final_start:
                continue
            slot[0] = final_end
        return removed & U64

    def sanitize(self) -> bool:
        """``e820__update_table``: False (kernel: -1) for < 2 entries or a wrapping entry."""
        live = self.slots[: self.nr_entries]
        if self.nr_entries < 2:
            return False
        if any(a + s > U64 for a, s, _ in live):
            return False
        new = sanitized(live, self.max_entries)
        for i, (a, s, t) in enumerate(new):
            self._write(i, a, s, t)
        self.nr_entries = len(new)
        return True


def usable(entries: Iterable[Entry]) -> list[Entry]:
    """The non-empty entries memblock treats as RAM (E820_TYPE_RAM and E820_TYPE_RESERVED_KERN)."""
    return [e for e in entries if is_usable(e.type) and e.size]


def largest_usable(entries: Iterable[Entry]) -> Entry | None:
    """The largest usable entry (ties: the highest), or None."""
    ram = usable(entries)
    return max(ram, key=lambda e: (e.size, e.start)) if ram else None


def sanitized(
    slots: Sequence[Sequence[int]], max_entries: int = DEFAULT_MAX_ENTRIES
) -> list[tuple[int, int, int]]:
    """The change-point pass of ``e820__update_table`` over ``(addr, size, type)`` triples.

    Overlaps resolve to the numerically larger type; neighbours of one type merge except PRAM and
    SOFT_RESERVED; zero-size results vanish; output stops silently at ``max_entries``. The
    kernel's sort is unstable, but the result does not depend on the order of equal points.
    """
    # (address, 0 for a start / 1 for an end, entry index): starts sort before ends.
    points: list[tuple[int, int, int]] = []
    for index, (addr, size, _) in enumerate(slots):
        if size:
            points.append((addr, 0, index))
            points.append((addr + size, 1, index))
    points.sort()
    open_count: dict[int, int] = {}
    result: list[tuple[int, int, int]] = []
    last_type = 0
    last_addr = 0
    pending_type = 0
    for addr, is_end, index in points:
        etype = slots[index][2]
        if is_end:
            left = open_count[etype] - 1
            if left:
                open_count[etype] = left
            else:
                del open_count[etype]
        else:
            open_count[etype] = open_count.get(etype, 0) + 1
        current = max(open_count) if open_count else 0
        if current != last_type or current in (PRAM, SOFT_RESERVED):
            if last_type and addr - last_addr:
                result.append((last_addr, addr - last_addr, pending_type))
                if len(result) >= max_entries:
                    return result
            if current:
                last_addr = addr
                pending_type = current
            last_type = current
    return result


def coverage(
    entries: Sequence[tuple[int, int, int]], start: int, end: int
) -> list[tuple[int, int, int]]:
    """``[start, end)`` cut by a sanitized table: (start, end, type) pieces, type 0 for holes."""
    pieces: list[tuple[int, int, int]] = []
    pos = start
    for addr, size, etype in sorted(entries):
        e_end = addr + size
        if e_end <= pos or addr >= end:
            continue
        if addr > pos:
            pieces.append((pos, addr, 0))
            pos = addr
        stop = min(e_end, end)
        pieces.append((pos, stop, etype))
        pos = stop
        if pos >= end:
            break
    if pos < end:
        pieces.append((pos, end, 0))
    return pieces
