"""The kernel image's extent from a host's own captures, instead of Debian 6.12's.

``fixtures/postboot/memmap-edit.iomem`` is ``/proc/iomem`` of Debian's 6.12.118 under QEMU
(nokaslr), the kernel whose ``memblock=debug`` dump reserves ``[0x1000000-0x3c10fff]`` for the image
and brk (``fixtures/memblock/dell-xps-13-9300-16g-6.12-1cpu.txt``).
``fixtures/dmesg/qemu-6.12-1g-memory-line.txt`` is the same kernel's serial log booted with 1 GiB
(tests/kernel_boot.py ``boot_until``, until its ``Memory:`` line). ``amd-desktop-31g-notes.iomem``
is a real desktop whose KASLR put the image at 17.5 GiB.
"""

from __future__ import annotations

from pathlib import Path

from memmap_lint.captures.parse import load_capture
from memmap_lint.kernel.earlyboot import IMAGE_SIZE, IMAGE_START
from memmap_lint.kernel.simulate import Options, simulate

FIXTURES = Path(__file__).parent.parent / "fixtures"
DEBIAN = "6.12.118+deb12-amd64"
MIB = 1 << 20


def test_iomem_kernel_lines_are_what_early_reserve_memory_took() -> None:
    capture = load_capture(FIXTURES / "postboot" / "memmap-edit.iomem")
    assert capture.image == (IMAGE_START, IMAGE_SIZE)


def test_memory_line_bounds_the_extent_from_above() -> None:
    """The sections' sum misses ~5 MiB of padding; the bound covers it by less than 1 MiB."""
    capture = load_capture(FIXTURES / "dmesg" / "qemu-6.12-1g-memory-line.txt")
    assert capture.release == DEBIAN and capture.image is None
    assert capture.image_size is not None
    assert IMAGE_SIZE <= capture.image_size < IMAGE_SIZE + MIB
    facts = capture.boot_facts(DEBIAN)
    assert facts.image_extent() == capture.image_size
    assert "'Memory:' line" in facts.image_note


def test_another_next_kernel_falls_back_to_the_defaults() -> None:
    capture = load_capture(FIXTURES / "dmesg" / "qemu-6.12-1g-memory-line.txt")
    facts = capture.boot_facts("6.1.0-40-amd64")
    assert facts.image is None and facts.image_size is None
    assert facts.image_extent() == IMAGE_SIZE
    assert "not the next kernel 6.1.0-40-amd64's" in facts.image_note
    assert facts.cpus == 1  # the machine's, whatever kernel boots next
    sim = simulate(
        capture.entries,
        "reserve_mem=900M:4K:p",
        "mainline",
        capture.setup_data,
        Options(facts=facts),
    )
    assert "not the next kernel" in sim.regions[0].risk
    (story,) = [e.message for e in sim.events if e.action == "early-boot"]
    assert "kernel image: the image of 6.12.118+deb12-amd64" in story


def test_a_kaslr_place_is_used_only_with_nokaslr() -> None:
    """A memmap= reservation over the running image's place: e820_add_kernel_range() overrides
    it when the image stays there (nokaslr); with KASLR the place is drawn again at boot."""
    capture = load_capture(FIXTURES / "e820" / "amd-desktop-31g-notes.iomem")
    assert capture.image is not None and capture.image[0] == 0x463800000
    edit = "memmap=64M$0x463800000"
    facts = capture.boot_facts()
    pinned = simulate(capture.entries, f"nokaslr {edit}", "mainline", options=Options(facts=facts))
    assert pinned.image_fixups
    moved = simulate(capture.entries, edit, "mainline", options=Options(facts=facts))
    assert not moved.image_fixups
    assert moved.kernel_image == (IMAGE_START, capture.image[1])
