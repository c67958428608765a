"""More than 4 memmap= ranges for the boot decompressor's KASLR to avoid.

What it finds:
    Command lines with more than four ``memmap=`` ranges of the ``nn#ss``, ``nn$ss`` or
    ``nn!ss`` forms (``ss`` not 0), counted the way arch/x86/boot/compressed/kaslr.c counts
    them. Two findings are possible: the fifth range in the same ``memmap=`` value as the fourth
    (physical KASLR is abandoned), and ranges in a later ``memmap=`` parameter once four are
    held (silently not avoided while physical KASLR stays on). Nothing is reported when
    ``nokaslr`` is given or a memory limit of 16 MiB or less already turns physical KASLR off.

Why it matters:
    On BIOS (legacy) boots the decompressor picks the kernel's physical address itself and keeps it
    out of at most ``MAX_MEMMAP_REGIONS`` (4) ``memmap=`` ranges (``mem_avoid_memmap()``, K6.1 and
    K6.12). When a value has more pieces after the fourth range it sets ``memmap_too_large`` and
    ``find_random_phys_addr()`` gives up: "Aborted memory entries scan (more than 4 memmap= args)!",
    and the kernel stays at its load address. But once four are held, the function returns at once
    for every later ``memmap=`` parameter without setting that flag (its static counter is already
    full), so physical KASLR stays on and may decompress the kernel image inside a range it never
    saw; ``e820_add_kernel_range()`` then turns the image's range back into RAM, and the reservation
    is lost (arch/x86/kernel/setup.c setup_arch(); arch/x86/boot/compressed/kaslr.c
    handle_mem_options()). A fix was posted to LKML in 2025 ("Fixes: d52e7d5a952c"); which kernels
    carry it is not known. A bare ``nn``, ``%``, ``*`` or typo piece is a memory limit there, ``@``
    is ignored, and ``exactmap`` or a piece without a number ends that value's scan. On UEFI boots
    the EFI stub turns physical KASLR off whenever ``mem=``, ``memmap=`` or ``hugepages=`` starts a
    word (the first occurrence of each, by ``strstr``), and the decompressor's scan does not matter.

Example:
    ``memmap=1M$4G,1M$5G memmap=1M$6G,1M$7G memmap=64M$8G``: the fifth range, 64 MiB at 8 GiB,
    is not avoided on a BIOS boot.

How to fix:
    Keep at most four such ranges, or put them all in one ``memmap=`` value (the fifth then
    turns physical KASLR off on BIOS boots), or boot with ``nokaslr``.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.kaslr import (
    LOAD_PHYSICAL_ADDR,
    decompressor_nokaslr,
    efi_stub_override,
    scan,
)
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._mm3_common import rng

CODE = "MM308"
NAME = "kaslr-scan-aborted"
SEVERITY = "warning"
NEEDS_E820 = False


def _efi(ctx: HostContext) -> str:
    opt = efi_stub_override(ctx.cmdline, ctx.kernel)
    if opt:
        return (
            f" On UEFI boots the EFI stub has already turned physical KASLR off ('{opt} "
            "detected on the kernel command line - disabling physical KASLR'), so this concerns "
            "BIOS boots."
        )
    return ""


def check(ctx: HostContext) -> Iterator[Hit]:
    if decompressor_nokaslr(ctx.cmdline):
        return
    result = scan(ctx.cmdline, ctx.kernel)
    if result.mem_limit <= LOAD_PHYSICAL_ADDR:
        return
    held = ", ".join(f"memmap={a.text}" for a in result.avoided)
    if result.too_large is not None:
        piece = result.too_large
        yield Hit(
            f"the boot decompressor (arch/x86/boot/compressed/kaslr.c) keeps at most 4 memmap= "
            f"ranges to place the kernel around ({held}); this value goes on after the fourth, "
            "so it sets memmap_too_large and, on a BIOS boot, gives up physical KASLR ('Aborted "
            "memory entries scan (more than 4 memmap= args)!'): the kernel stays at its load "
            f"address.{_efi(ctx)} Keep at most 4 ranges, or accept that physical KASLR is off.",
            param=piece.param,
            offset=piece.offset,
            text=f"{piece.param.name}={piece.text}",
        )
        return
    if not result.skipped:
        return
    first = result.skipped[0]
    ranges = ", ".join(f"{rng(s.start, s.start + s.size)}" for s in result.skipped)
    yield Hit(
        f"the boot decompressor (arch/x86/boot/compressed/kaslr.c) already holds 4 memmap= ranges "
        f"({held}) and returns at once for every later memmap= parameter, without setting "
        "memmap_too_large: physical KASLR stays on and does not avoid "
        f"{ranges}, so on a BIOS boot the kernel image can be decompressed inside it, and "
        "e820_add_kernel_range() then turns the image's range back into RAM: the reservation is "
        f"lost.{_efi(ctx)} A fix was posted in 2025; whether this kernel has it is not known. Keep "
        "at most 4 ranges, put them all in one memmap= value, or boot with nokaslr.",
        param=first.param,
        offset=first.offset,
        text=f"{first.param.name}={first.text}",
    )
