"""What-if runs of the simulator: the same host and kernel with an edited command line.

Used to say why a region did not fit (would it without the memory limits?) and what would
(the largest size that is still placed). ``simulate`` is memoized by content, so asking again is
cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from memmap_lint.kernel.cmdline import Cmdline, Param
from memmap_lint.kernel.dialects.rfc import align_down
from memmap_lint.kernel.e820 import Entry, usable
from memmap_lint.kernel.model import WILDCARD, Region, Simulation
from memmap_lint.kernel.params import kernel_items, memmap_items, read_mem, read_reserve_mem
from memmap_lint.kernel.placement import largest
from memmap_lint.kernel.release import Kernel
from memmap_lint.kernel.simulate import Options, simulate
from memmap_lint.kernel.sizes import kernel_size

MIB = 1 << 20


def rerun(sim: Simulation, kernel: Kernel, text: str) -> Simulation:
    """The simulation of ``text`` on the firmware map, setup_data and model options of ``sim``
    (memblock reserves the setup_data nodes before reserve_mem= runs:
    ``memblock_x86_reserve_range_setup_data()``)."""
    options = sim.options if isinstance(sim.options, Options) else Options()
    return simulate(sim.firmware, text, kernel, sim.setup_data, options)


def _cut(text: str, spans: Sequence[tuple[int, int]]) -> str:
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


@dataclass(frozen=True, slots=True)
class Limit:
    """A parameter that removes every RAM byte at or above ``value``: ``mem=`` (``parse_memopt``)
    or the bare ``memmap=nn`` form (``parse_memmap_one``'s last branch).

    ``span`` is what to cut from the command line to drop it; ``wildcard`` marks a
    ``memmap=nn*align:name`` piece that a kernel without the RFC reads as a limit.
    """

    param: Param
    offset: int
    text: str
    value: int
    span: tuple[int, int]
    wildcard: bool


def limits(cmdline: Cmdline, kernel: Kernel) -> list[Limit]:
    """Every effective memory limit on the command line, in command-line order."""
    found: list[Limit] = []
    for p in cmdline.params:
        if p.key == "mem":
            limit = read_mem(p).limit
            if limit is not None:
                found.append(Limit(p, p.start, p.raw, limit, (p.start, p.end), False))
        elif p.key == "memmap" and p.value is not None:
            items = kernel_items(p, kernel)
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


def without_limits(sim: Simulation, kernel: Kernel, chosen: Sequence[Limit]) -> Simulation | None:
    """The simulation with the ``chosen`` limits removed (None if the regions no longer match)."""
    other = rerun(sim, kernel, _cut(sim.cmdline.text, [lim.span for lim in chosen]))
    return other if same_shape(sim, other) else None


def placed_without_limits(sim: Simulation, kernel: Kernel, index: int) -> bool:
    """Whether region ``index`` would be placed without any memory limit (wildcard pieces read
    as limits count too)."""
    found = limits(sim.cmdline, kernel)
    if not found:
        return False
    other = without_limits(sim, kernel, found)
    return other is not None and other.regions[index].start is not None


def size_span(region: Region) -> tuple[int, int] | None:
    """Where the size of ``region`` is written in the command line: [start, end)."""
    p = region.param
    if region.kind == WILDCARD:
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


def largest_fit(sim: Simulation, kernel: Kernel, index: int) -> int | None:
    """The largest size (whole MiB, or 4 KiB steps below 2 MiB) that region ``index`` could
    have and still be placed, the rest of the command line unchanged; 0 when nothing fits and
    None when the question cannot be asked (the size is not where the region says).

    Placement is monotone in the size (a smaller request fits wherever a larger one did, and
    below 2^63 the RFC's wrap can only fail), so a binary search over the simulator is exact.
    A reserve_mem size that only fits if the model's unknowns are kind (``risk``) is no fit.
    """
    region = sim.regions[index]
    span = size_span(region)
    if span is None:
        return None
    text = sim.cmdline.text
    unit = MIB if region.size >= 2 * MIB else 4096
    hi = min(region.size - 1, 1 << 62) // unit

    def fits(units: int) -> bool:
        other = rerun(sim, kernel, text[: span[0]] + kernel_size(units * unit) + text[span[1] :])
        if not same_shape(sim, other):
            return False
        placed = other.regions[index]
        return placed.start is not None and not placed.risk

    return largest(hi, fits) * unit


# --- why the RFC's search failed ---------------------------------------------------------------


def table_before(sim: Simulation, kernel: Kernel, region: Region) -> Simulation:
    """The simulation of the command line up to ``region``'s piece: the table its search saw."""
    return rerun(sim, kernel, sim.cmdline.text[: region.offset])


def holders(entries: Sequence[Entry], size: int, align: int) -> list[Entry]:
    """Usable entries that could hold ``size`` bytes at ``align`` from their top, as one step of
    the RFC's ``e820__region()`` computes it."""
    return [
        e for e in usable(entries) if e.end >= size and align_down(e.end - size, align) >= e.start
    ]


def wrapping_add(cmdline: Cmdline, region: Region) -> str | None:
    """The earlier ``memmap=nn@ss`` piece whose entry the RFC's search meets first and wraps on
    (its end lies below the region's size), as written; None when the search reaches a fit or
    no such piece exists."""
    earlier = []
    for p in cmdline.named("memmap"):
        for item in memmap_items(p, True):
            if item.offset >= region.offset:
                break
            if item.form == "@" and item.size is not None and item.start is not None:
                earlier.append(item)
    for item in reversed(earlier):
        assert item.size is not None and item.start is not None
        end = item.start.value + item.size.value
        if end < region.size:
            return f"memmap={item.text}"
        if align_down(end - region.size, region.align or 0) >= item.start.value:
            return None
    return None
