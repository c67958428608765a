"""kernel/whatif.py: the simulator re-run on an edited command line (limits dropped, sizes
bisected), and the RFC search's reasons for a failure."""

from __future__ import annotations

from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.e820 import Entry
from memmap_lint.kernel.model import NO_FIT, PLACED
from memmap_lint.kernel.release import kernel_for
from memmap_lint.kernel.simulate import Options, simulate
from memmap_lint.kernel.whatif import (
    holders,
    largest_fit,
    limits,
    placed_without_limits,
    size_span,
    table_before,
    without_limits,
    wrapping_add,
)

RFC = kernel_for("6.1.0-rfc", ["memmap-wildcard"])
STOCK = kernel_for("6.1.0-28-amd64")
MAINLINE = kernel_for("6.12.0-1-amd64")
M, G = 1 << 20, 1 << 30
# 640 KiB low RAM and [1 MiB, 4 GiB) of RAM.
FIRMWARE = (Entry(0, 0x9FC00, 1), Entry(M, 4 * G - M, 1))


def test_limits_are_mem_and_bare_memmap_with_the_span_to_cut() -> None:
    text = "mem=2G memmap=1G,1M$8M memmap=12M*4096:oops"
    line = parse(text)
    found = limits(line, STOCK)
    assert [(x.text, x.value, x.wildcard) for x in found] == [
        ("mem=2G", 2 * G, False),
        ("memmap=1G", G, False),
        ("memmap=12M*4096:oops", 12 * M, True),  # stock reads the wildcard as a limit
    ]
    assert text[slice(*found[1].span)] == "1G,"
    assert [x.text for x in limits(line, RFC)] == ["mem=2G", "memmap=1G"]


def test_without_limits_the_region_is_placed() -> None:
    line = parse("memmap=1G memmap=2G*4096:big")
    sim = simulate(FIRMWARE, line, RFC)
    assert sim.regions[0].status == NO_FIT
    other = without_limits(sim, RFC, limits(line, RFC))
    assert other is not None and other.regions[0].status == PLACED
    assert placed_without_limits(sim, RFC, 0)


def test_largest_fit_bisects_the_simulator() -> None:
    for kernel, text in ((RFC, "memmap=5G*4096:big"), (MAINLINE, "reserve_mem=5G:4096:big")):
        sim = simulate(FIRMWARE, text, kernel, options=Options())
        assert sim.regions[0].status == NO_FIT
        fit = largest_fit(sim, kernel, 0)
        assert fit is not None and 0 < fit < 4 * G
        # One MiB more is refused, or (reserve_mem) fits only if the model's unknowns are kind.
        bigger = simulate(FIRMWARE, text.replace("5G", f"{fit // M + 1}M"), kernel).regions[0]
        assert bigger.status == NO_FIT or bigger.risk
        exact = simulate(FIRMWARE, text.replace("5G", f"{fit // M}M"), kernel).regions[0]
        assert exact.status == PLACED and not exact.risk
        span = size_span(sim.regions[0])
        assert span is not None and text[slice(*span)] == "5G"


def test_rfc_search_wraps_on_an_entry_added_before_it() -> None:
    # The RFC walks slots from the end: the 1 MiB entry appended at 16 MiB ends below 64 MiB, the
    # u64 subtraction wraps, and the search stops there although [1 MiB, 4 GiB) could hold it.
    line = parse("memmap=1M@16M memmap=64M*4096:oops")
    sim = simulate(FIRMWARE, line, RFC)
    region = sim.regions[0]
    assert region.status == NO_FIT
    assert wrapping_add(line, region) == "memmap=1M@16M"
    seen = table_before(sim, RFC, region).table
    assert [e.start for e in holders(seen, region.size, region.align or 0)] == [M]
