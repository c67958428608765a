"""Helpers shared by the MM3xx placement rules (private: the registry skips ``_`` modules).

Everything here is pure: it reads a :class:`HostContext` and, where a rule asks "what if", runs
the simulator again on an edited copy of the command line (``simulate`` is memoized by content).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.e820 import RAM, RESERVED_KERN, U64, Entry
from memmap_lint.kernel.model import INVALID, NO_FIT, RFC, UNSUPPORTED, Region, Simulation
from memmap_lint.kernel.params import memmap_items, read_mem, read_reserve_mem
from memmap_lint.kernel.placement import largest
from memmap_lint.kernel.simulate import Options, simulate
from memmap_lint.kernel.sizes import kernel_size
from memmap_lint.rule import HostContext

MIB = 1 << 20
GIB = 1 << 30


def rng(start: int, end: int) -> str:
    """``[mem 0x...-0x...]`` for ``[start, end)``, as the kernel prints ranges."""
    return f"[mem {start & U64:#018x}-{(end - 1) & U64:#018x}]"


def shown(region: Region) -> str:
    """The region's parameter as written: ``memmap=<piece>`` or the whole ``reserve_mem=...``."""
    if region.kind == "memmap-wildcard":
        return f"memmap={region.text}"
    return region.text


def label(region: Region) -> str:
    """``'oops'`` or ``an unnamed region`` for messages."""
    return f"'{region.name}'" if region.name else "an unnamed region"


def held(sim: Simulation) -> list[tuple[int, Region]]:
    """(index, region) of every region that holds memory (placed, unnamed, shadowed)."""
    return [
        (i, r)
        for i, r in enumerate(sim.regions)
        if r.start is not None and r.size and r.status not in (NO_FIT, UNSUPPORTED, INVALID)
    ]


def usable(entries: Iterable[Entry]) -> list[Entry]:
    """Entries memblock treats as RAM (E820_TYPE_RAM and E820_TYPE_RESERVED_KERN)."""
    return [e for e in entries if e.type in (RAM, RESERVED_KERN) and e.size]


def largest_usable(entries: Iterable[Entry]) -> Entry | None:
    """The largest usable entry (ties: the highest), or None."""
    ram = usable(entries)
    return max(ram, key=lambda e: (e.size, e.start)) if ram else None


def ram_bytes(entries: Iterable[Entry]) -> int:
    return sum(e.size for e in usable(entries))


def rerun(ctx: HostContext, text: str) -> Simulation:
    """The simulation of ``text`` on this host's firmware map and kernel.

    The captured setup_data blocks are not part of a :class:`Simulation`; they only turn RAM into
    RESERVED_KERN after ``parse_early_param()``, which changes neither the RFC search nor what
    memblock counts as memory, so placements do not depend on them.
    """
    assert ctx.sim is not None
    return simulate(
        ctx.sim.firmware, text, ctx.kernel, (), Options(headroom=ctx.thresholds.headroom)
    )


def cut(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` without the character ranges ``spans`` (non-overlapping)."""
    out = []
    pos = 0
    for start, end in sorted(spans):
        out.append(text[pos:start])
        pos = max(pos, end)
    out.append(text[pos:])
    return "".join(out)


def same_shape(a: Simulation, b: Simulation) -> bool:
    """Whether two simulations have corresponding regions (same count, kinds and names)."""
    return len(a.regions) == len(b.regions) and all(
        x.kind == y.kind and x.name == y.name for x, y in zip(a.regions, b.regions, strict=True)
    )


# -- memory limits (mem= and the bare memmap=nn form) -------------------------------------------


@dataclass(frozen=True, slots=True)
class Limit:
    """A parameter that removes every RAM byte at or above ``value`` (arch/x86/kernel/e820.c parse_memmap_one(); arch/x86/kernel/e820.c parse_memopt()).

    ``span`` is what to cut from the command line to drop it; ``wildcard`` marks a
    ``memmap=nn*align:name`` piece that a kernel without the RFC reads as a limit (MM105's).
    """

    param: Param
    offset: int
    text: str
    value: int
    span: tuple[int, int]
    wildcard: bool


def limits(ctx: HostContext) -> list[Limit]:
    """Every effective memory limit on the command line, in command-line order."""
    found: list[Limit] = []
    rfc = ctx.kernel.dialect == RFC
    for p in ctx.cmdline.params:
        if p.key == "mem":
            limit = read_mem(p).limit
            if limit is not None:
                found.append(Limit(p, p.start, p.raw, limit, (p.start, p.end), False))
        elif p.key == "memmap" and p.value is not None:
            items = memmap_items(p, rfc)
            for n, item in enumerate(items):
                if item.form != "limit" or item.size is None:
                    continue
                if len(items) == 1:
                    span = (p.start, p.end)
                elif n + 1 < len(items):
                    span = (item.offset, item.offset + len(item.text) + 1)
                else:
                    span = (item.offset - 1, item.offset + len(item.text))
                found.append(
                    Limit(
                        p,
                        item.offset,
                        f"memmap={item.text}",
                        item.size.value,
                        span,
                        item.stop_char == "*",
                    )
                )
    return found


def without_limits(ctx: HostContext, chosen: Sequence[Limit]) -> Simulation | None:
    """The simulation with the ``chosen`` limits removed (None if the regions no longer match)."""
    assert ctx.sim is not None
    other = rerun(ctx, cut(ctx.cmdline.text, [lim.span for lim in chosen]))
    return other if same_shape(ctx.sim, other) else None


def limit_blames(ctx: HostContext, index: int) -> bool:
    """Whether the no-fit region ``index`` would be placed without any memory limit.

    Wildcard pieces read as limits (MM105) count too: their fallout belongs to MM105.
    """
    found = limits(ctx)
    if not found:
        return False
    other = without_limits(ctx, found)
    return other is not None and other.regions[index].start is not None


# -- sizes: what would fit ----------------------------------------------------------------------


def size_span(ctx: HostContext, region: Region) -> tuple[int, int] | None:
    """Where the size of ``region`` is written in the command line: [start, end)."""
    p = region.param
    if region.kind == "memmap-wildcard":
        for item in memmap_items(p, True):
            if item.offset == region.offset and item.size is not None:
                return item.offset, item.offset + item.size.end
        return None
    if p.value is None or p.value_start is None:
        return None
    spec = read_reserve_mem(p, p.value)
    if spec.size is None:
        return None
    return p.value_start, p.value_start + spec.size.end


def largest_fit(ctx: HostContext, index: int) -> int | None:
    """The largest size (whole MiB, or 4 KiB steps below 2 MiB) that region ``index`` could
    have and still be placed, the rest of the command line unchanged; 0 when nothing fits and
    None when the question cannot be asked (the size is not where the region says).

    Placement is monotone in the size (a smaller request fits wherever a larger one did, and
    below 2^63 the RFC's wrap can only fail), so a binary search over the simulator is exact.
    A reserve_mem size that only fits if the model's unknowns are kind (``risk``) is no fit.
    """
    sim = ctx.sim
    assert sim is not None
    region = sim.regions[index]
    span = size_span(ctx, region)
    if span is None:
        return None
    text = ctx.cmdline.text
    unit = MIB if region.size >= 2 * MIB else 4096
    hi = min(region.size - 1, 1 << 62) // unit

    def fits(units: int) -> bool:
        edited = text[: span[0]] + kernel_size(units * unit) + text[span[1] :]
        other = rerun(ctx, edited)
        if not same_shape(sim, other):
            return False
        placed = other.regions[index]
        return placed.start is not None and not placed.risk

    return largest(hi, fits) * unit
