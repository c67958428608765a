"""What a simulation produces: the final table, each named region, and the story of each step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from memmap_lint.kernel.cmdline import Cmdline, Param
from memmap_lint.kernel.e820 import RAM, Entry, sanitized, usable

#: Region statuses of the JSON contract (the JSON report contract in README.md).
PLACED = "placed"
NO_FIT = "no-fit"
INVALID = "invalid"
UNNAMED = "unnamed"
SHADOWED = "shadowed"
UNSUPPORTED = "unsupported"

STOCK = "stock"
RFC = "rfc"
MAINLINE = "mainline"
DIALECTS = (STOCK, RFC, MAINLINE)

#: Region kinds: the RFC's wildcard table (``memmap_named()``) and mainline's reserve_mem table.
WILDCARD = "memmap-wildcard"
RESERVE_MEM = "reserve_mem"


@dataclass(frozen=True, slots=True)
class Region:
    """A named reservation request (``memmap=nn*align:name`` or ``reserve_mem=``) and its fate.

    ``start`` is None when nothing was reserved. ``approximate`` marks an address that depends on
    allocations the simulator cannot see (reserve_mem). ``slot`` is the table index the RFC search
    took it from and ``stale`` says that slot was past the end of the table.
    """

    name: str | None
    size: int
    align: int | None
    start: int | None
    status: str
    param: Param
    text: str
    offset: int
    kind: str
    note: str = ""
    approximate: bool = False
    slot: int | None = None
    stale: bool = False
    #: Parts of the region that were not usable RAM in the table the search saw:
    #: (start, end, type), type 0 for a hole.
    clashes: tuple[tuple[int, int, int], ...] = ()
    #: The search would have read a slot past the table's array (its contents are unknowable).
    past_end: bool = False
    #: reserve_mem: bytes of room left in the model after placing it (None: not modelled), and
    #: what unknown would make the kernel refuse it ("" when even the bounds leave room).
    margin: int | None = None
    risk: str = ""

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + self.size


@dataclass(frozen=True, slots=True)
class Event:
    """One thing the kernel did (or refused) for one parameter or memmap piece, in its terms."""

    param: Param | None
    text: str
    offset: int
    action: str
    message: str
    level: str = "info"  # info | warning | error


@dataclass(frozen=True, slots=True)
class Simulation:
    """The outcome of one command line on one firmware map under one dialect."""

    dialect: str
    kernel: str | None
    firmware: tuple[Entry, ...]
    cmdline: Cmdline
    table: tuple[Entry, ...]
    panic: str | None
    regions: tuple[Region, ...]
    events: tuple[Event, ...]
    userdef: bool
    reservations: tuple[tuple[int, int, Param, str], ...] = ()
    largest_free: tuple[int, int] | None = None
    #: The setup_data blocks and model options the simulation ran with (to re-run variants).
    setup_data: tuple[tuple[int, int], ...] = ()
    options: Any = None
    #: The kernel image ``[_text, _end)`` as the model places it (start, size), and the pieces of
    #: it that were not RAM after the command line (start, end, type; 0 for a hole):
    #: ``e820_add_kernel_range()`` turned them back into RAM.
    kernel_image: tuple[int, int] | None = None
    image_fixups: tuple[tuple[int, int, int], ...] = ()

    def region(self, name: str, kind: str | None = None) -> Region | None:
        """The region a consumer finds by ``name`` (the first match, as both lookups do).

        ``kind`` restricts the table searched: ``memmap-wildcard`` (the RFC's memmap_named) or
        ``reserve_mem`` (reserve_mem_find_by_name); a consumer reads only its own table.
        """
        for r in self.regions:
            if kind is not None and r.kind != kind:
                continue
            if r.name == name and r.start is not None and r.size and r.status == PLACED:
                return r
        return None

    def firmware_ram(self, below: int = 1 << 64) -> int:
        """Bytes of RAM in the sanitized firmware map below ``below``."""
        table = sanitized([(e.start, e.size, e.type) for e in self.firmware])
        return sum(max(0, min(a + s, below) - a) for a, s, t in table if t == RAM and a < below)

    def ram_total(self) -> int:
        """Bytes of usable RAM in the final table (RAM and RESERVED_KERN)."""
        return sum(e.size for e in usable(self.table))
