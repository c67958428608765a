"""The early-boot memblock model and reserve_mem's placement, against real 6.12 boot logs.

``fixtures/memblock/dell-xps-13-9300-16g-6.12-1cpu.txt`` is the serial log of Debian's 6.12.118
booted under QEMU (one CPU, PVH, nokaslr) with the XPS map rebuilt by ``memmap=exactmap`` and
``memblock=debug reserve_mem=1M:4K:p`` (tests/kernel_boot.py ``boot_until``): every memblock
reservation before reserve_mem is printed. ``fixtures/dmesg/qemu-6.12-setup-data-and-percent.txt``
is a bzImage boot with a SETUP_DTB node (``-dtb``, :func:`kernel_boot.minimal_dtb`) and two
``memmap=`` ``%`` pieces that print the same ``usable ==> usable`` line while the command line
is parsed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kernel_boot import parse_map
from memmap_lint.captures.parse import parse_capture
from memmap_lint.kernel.dialects.memblock import memory_ranges
from memmap_lint.kernel.e820 import Entry, sanitized
from memmap_lint.kernel.earlyboot import IMAGE_SIZE, IMAGE_START, Facts, percpu_chunk, plan
from memmap_lint.kernel.model import NO_FIT, PLACED
from memmap_lint.kernel.simulate import Options, simulate

FIXTURES = Path(__file__).parent.parent / "fixtures"
XPS = FIXTURES / "memblock" / "dell-xps-13-9300-16g-6.12-1cpu.txt"
MAPS = FIXTURES / "live" / "maps"
_RESERVE = re.compile(r"memblock_reserve: \[(0x[0-9a-f]+)-(0x[0-9a-f]+)\] (\S+)")
_ALLOC = re.compile(r"(memblock_\w+): (\d+) bytes align=(0x[0-9a-f]+) .* (\w+)\+0x")
MIB = 1 << 20


def _memory(name: str) -> list[tuple[int, int]]:
    entries = parse_map((MAPS / name).read_text(), "BIOS-e820")
    table = sanitized([(e.start, e.size, e.type) for e in entries])
    return memory_ranges([Entry(a, s, t) for a, s, t in table])


def _kernel_allocations(log: str) -> dict[str, tuple[int, int]]:
    """caller -> (start, size) of each caller's largest allocation before reserve_mem."""
    found: dict[str, tuple[int, int]] = {}
    caller = None
    for line in log.splitlines():
        if "reserve_mem+" in line:
            break
        alloc = _ALLOC.search(line)
        if alloc:
            caller = alloc.group(4)
            continue
        reserve = _RESERVE.search(line)
        if reserve and caller:
            start, last = int(reserve.group(1), 16), int(reserve.group(2), 16)
            if last - start + 1 > found.get(caller, (0, 0))[1]:
                found[caller] = (start, last - start + 1)
            caller = None
        elif reserve and "setup_arch" in reserve.group(3):
            start, last = int(reserve.group(1), 16), int(reserve.group(2), 16)
            found.setdefault(f"setup_arch:{start:#x}", (start, last - start + 1))
    return found


def test_percpu_chunk_is_pcpu_build_alloc_info() -> None:
    """One CPU: a 2 MiB unit, 66 pages kept ("Embedded 66 pages/cpu ... u2097152")."""
    assert percpu_chunk(1) == (2 * MIB, 66 * 4096)
    # Two CPUs share an atom in 1 MiB units; four and more pack four 512 KiB units per atom.
    assert percpu_chunk(2) == (2 * MIB, MIB + 66 * 4096)
    assert percpu_chunk(8) == (4 * MIB, 3 * MIB + 512 * 1024 + 66 * 4096)
    assert percpu_chunk(256)[0] == 128 * MIB


def test_plan_matches_the_kernels_memblock_dump() -> None:
    """The struct page array and the per-CPU chunk land where 6.12 put them on the XPS map."""
    log = XPS.read_text()
    kernel = _kernel_allocations(log)
    mb, steps = plan(_memory("dell-xps-13-9300-16g.txt"), facts=Facts(cpus=1))
    got = {s.what.split(" (")[0].split(",")[0]: (s.start, s.size) for s in steps}
    assert got["struct pages"] == kernel["sparse_init_nid"] == (0x47FA00000, 126 * 2 * MIB)
    assert got["per-CPU first chunk"] == kernel["pcpu_fc_alloc"] == (0x47F800000, 2 * MIB)
    # early_reserve_memory(): [_text, __end_of_kernel_reserve) at 16 MiB with nokaslr.
    assert "[0x0000000001000000-0x0000000003c10fff]" in log
    assert (IMAGE_START, IMAGE_SIZE) == (0x1000000, 0x3C11000 - 0x1000000)
    # What is left in one piece is RAM from 4 GiB up to the per-CPU chunk.
    assert mb.largest() == (0x100000000, 0x47F800000 - 0x100000000)


def test_reserve_mem_edge_is_honest() -> None:
    """Near the edge a placement carries a risk; well inside it does not; past it no fit."""
    entries = parse_map((MAPS / "dell-xps-13-9300-16g.txt").read_text(), "BIOS-e820")
    options = Options(facts=Facts(cpus=1))
    largest = 0x47F800000 - 0x100000000

    def region(size: int) -> object:
        sim = simulate(entries, f"nokaslr reserve_mem={size}:4096:p", "mainline", options=options)
        return sim.regions[0]

    edge = region(largest)
    assert edge.status == PLACED and edge.start == 0x100000000
    assert edge.risk and "would tip it" in edge.risk and edge.margin == 0
    inside = region(largest * 9 // 10 // 4096 * 4096)
    assert inside.status == PLACED and not inside.risk
    assert region(largest + 4096).status == NO_FIT


def test_kaslr_and_unknown_cpus_are_named() -> None:
    """Without nokaslr the image may split the range; an unknown CPU count is bounded."""
    entries = parse_map((MAPS / "dell-xps-13-9300-16g.txt").read_text(), "BIOS-e820")
    sim = simulate(entries, "reserve_mem=12G:4096:p", "mainline")
    risk = sim.regions[0].risk
    assert "KASLR" in risk and "8 CPUs assumed" in risk
    assert not simulate(entries, "reserve_mem=1G:4096:p", "mainline").regions[0].risk


@pytest.mark.parametrize(
    ("cut", "expected"),
    [
        # The whole log: the NX line ends parse_early_param(); the node is QEMU's SETUP_DTB.
        (None, ((0xC83200, 0x58),)),
        # Trimmed to the e820 lines: the command line's % pieces account for the first two.
        ("e820", ((0xC83200, 0x58),)),
    ],
)
def test_setup_data_only_where_the_kernel_prints_it(
    cut: str | None, expected: tuple[tuple[int, int], ...]
) -> None:
    text = (FIXTURES / "dmesg" / "qemu-6.12-setup-data-and-percent.txt").read_text()
    if cut:
        text = "".join(
            line
            for line in text.splitlines(keepends=True)
            if "BIOS-e820" in line or "e820: update" in line or "Command line" in line
        )
    assert parse_capture(text, "boot.txt").setup_data == expected


def test_percent_lines_alone_are_no_setup_data() -> None:
    """A boot without setup_data (PVH) whose % pieces print the update line: no node."""
    text = (FIXTURES / "dmesg" / "qemu-6.12-setup-data-and-percent.txt").read_text()
    text = "".join(
        line for line in text.splitlines(keepends=True) if "0x00c83200-0x00c83257" not in line
    )
    assert parse_capture(text, "boot.txt").setup_data == ()


def test_cpu_count_from_the_log_replaces_the_assumption() -> None:
    """A dmesg capture's nr_cpu_ids is the host's CPU count (no longer "8 CPUs assumed")."""
    capture = parse_capture(XPS.read_text(), "xps.txt")
    assert capture.cpus == 1
    sim = simulate(
        capture.entries,
        "reserve_mem=14300M:4096:p",
        "mainline",
        capture.setup_data,
        Options(facts=Facts(cpus=capture.cpus)),
    )
    assert "1 CPU(s)" in sim.regions[0].risk and "assumed" not in sim.regions[0].risk.split(",")[0]


def test_crashkernel_high_comes_first() -> None:
    """crashkernel=1G,high is reserved in setup_arch(), before reserve_mem: 1 GiB from the top
    above 4 GiB (16 MiB aligned) and 256 MiB below 4 GiB; 6.12 left 13300 MiB on this map
    (tests/kernel/test_live_kernel.py test_reserve_mem_edge)."""
    entries = parse_map((MAPS / "dell-xps-13-9300-16g.txt").read_text(), "BIOS-e820")
    line = "nokaslr crashkernel=1G,high reserve_mem=4K:4K:p"
    sim = simulate(entries, line, "mainline", options=Options(facts=Facts(cpus=1)))
    assert sim.largest_free is not None and sim.largest_free[1] == 13300 * MIB


def test_present_sections_counts_without_walking() -> None:
    """Sections are counted from the ranges (a 16 EiB map from memmap=16E@0 stays instant)."""
    from memmap_lint.kernel.earlyboot import present_sections

    assert present_sections([(0, 1), (100, 200), (128 * MIB, 128 * MIB + 1)]) == 2
    assert present_sections([(MIB, 1 << 64)]) == (1 << 64) // (128 * MIB)
    sim = simulate([Entry(0, 1 << 63, 1)], "nokaslr memmap=16E@0 reserve_mem=1G:4K:p", "mainline")
    assert sim.regions[0].status == PLACED
