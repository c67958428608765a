"""A capture of a running kernel's map (/proc/iomem) carries that kernel's memmap= edits.

The capture is the real /proc/iomem of Debian's 6.12 booted under QEMU with ``memmap=256M!512M``
(tests/postboot_boot.py, scenario memmap-edit); the same boot's /sys/firmware/memmap is the
judge of what the firmware has.
"""

from __future__ import annotations

from pathlib import Path

from memmap_lint.captures.parse import load_capture
from memmap_lint.engine.collected import facts_capture
from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.e820 import PRAM
from memmap_lint.kernel.release import kernel_for
from memmap_lint.kernel.simulate import simulate
from postboot_boot import console_facts

FIXTURES = Path(__file__).parent.parent / "fixtures" / "postboot"
MiB = 1 << 20


def _firmware() -> tuple[tuple[int, int, int], ...]:
    facts = console_facts((FIXTURES / "memmap-edit.console").read_text())
    cap = facts_capture(facts, "sysfs")
    assert cap is not None
    return tuple((e.start, e.size, e.type) for e in cap.entries)


def test_the_recorded_iomem_is_the_boots() -> None:
    facts = console_facts((FIXTURES / "memmap-edit.console").read_text())
    assert facts.postboot is not None
    assert facts.postboot.iomem == (FIXTURES / "memmap-edit.iomem").read_text()
    assert "20000000-2fffffff : Persistent Memory (legacy)" in facts.postboot.iomem


def test_iomem_edits_are_given_back_to_the_firmware_type() -> None:
    cap = load_capture(FIXTURES / "memmap-edit.iomem")
    assert cap.running_edits == ((0x20000000, 256 * MiB, PRAM, 12),)
    got = {(e.start, e.size, e.type) for e in cap.entries}
    # the RAM range is whole again, as /sys/firmware/memmap has it
    assert (0x100000, 0x3FFE0000 - 0x100000, 1) in got
    assert not any(t == PRAM for _s, _n, t in got)
    assert (0x100000, 0x3FFE0000 - 0x100000, 1) in _firmware()


def test_no_persistent_memory_the_firmware_never_had() -> None:
    """The issue's case, scaled to the boot: predicting memmap=128M!512M on the iomem of a host
    booted with memmap=256M!512M gives 128 MiB of persistent memory, as on the firmware map."""
    kernel = kernel_for("6.12.118+deb12-amd64", (), None)
    line = parse("memmap=128M!512M")
    cap = load_capture(FIXTURES / "memmap-edit.iomem")
    sim = simulate(cap.entries, line, kernel, cap.setup_data)
    pram = [e for e in sim.table if e.type == PRAM]
    assert [(e.start, e.size) for e in pram] == [(0x20000000, 128 * MiB)]
