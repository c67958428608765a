"""The capture is a running kernel's map: it carries that kernel's memmap= edits.

What it finds:
    A host whose ``e820`` capture is ``/proc/iomem`` holding ``Persistent Memory (legacy)``
    ranges: what ``memmap=nn!ss`` on the command line of the kernel that was running when the
    capture was taken makes of RAM. memmap-lint takes each range back as RAM (the firmware's
    type) for its prediction, and names it here.

Why it matters:
    ``/proc/iomem`` shows ``e820_table`` after the command line (arch/x86/kernel/e820.c
    ``e820__reserve_resources()``), while ``/sys/firmware/memmap`` and the ``BIOS-e820:`` lines
    show the firmware's map. Taken as firmware, a capture of a host booted with
    ``memmap=48G!80G`` predicts that ``memmap=16G!80G`` leaves 32 GiB of "persistent memory"
    the firmware never had, and every placement above it is wrong.

Example:
    ``captures/db-01.iomem`` holds ``1400000000-1fffffffff : Persistent Memory (legacy)``:
    ``memmap=48G!80G`` of the running kernel. MM707 names it and the prediction uses RAM.

How to fix:
    Capture the firmware map instead: ``grep . /sys/firmware/memmap/*/*`` (or
    ``memmap-lint collect``, which reads it), or the ``BIOS-e820:`` lines of ``dmesg``.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.sizes import human, kernel_size
from memmap_lint.rule import Hit, HostContext

CODE = "MM707"
NAME = "capture-carries-edits"
SEVERITY = "warning"
NEEDS_E820 = True


def check(ctx: HostContext) -> Iterator[Hit]:
    capture = ctx.facts.get("capture")
    if not isinstance(capture, dict) or not capture.get("running_edits"):
        return
    edits = [
        f"[mem {start:#018x}-{start + size - 1:#018x}] ({human(size)}, line {line}: "
        f"memmap={kernel_size(size)}!{kernel_size(start)})"
        for start, size, _etype, line in capture["running_edits"]
    ]
    yield Hit(
        f"the capture {capture.get('path')} is /proc/iomem of a running kernel and holds "
        f"Persistent Memory (legacy) that its command line made: {'; '.join(edits)}. "
        "The prediction takes it back as RAM, as the firmware map has it; capture "
        "/sys/firmware/memmap to be sure."
    )
