"""A memory-map edit over the kernel's own image, which the kernel undoes.

What it finds:
    A ``memmap=`` range (``$``, ``#``, ``!``, ``%``), a hole left by ``memmap=exactmap`` or a
    memory limit (``mem=``, bare ``memmap=nn``), or an RFC wildcard region, that lies on the
    kernel image ``[_text, _end)``: 44.1 MiB from 16 MiB for Debian's 6.12 unless the host's
    facts say otherwise. With physical KASLR on it says when the image is there anyway.

Why it matters:
    After the command line, ``setup_arch()`` calls ``e820_add_kernel_range()``
    (arch/x86/kernel/setup.c, K6.1 and K6.12): if the image is not all E820_TYPE_RAM it prints
    ``.text .data .bss are not marked as E820_TYPE_RAM!``, removes every entry in that range and
    adds it as RAM. The reservation asked for is not there, and the kernel runs in it; an RFC
    wildcard's name still resolves, so its consumer (ramoops, a trace instance) writes over the
    running kernel. The image is at ``CONFIG_PHYSICAL_START`` (16 MiB) with ``nokaslr``, on UEFI
    boots with ``memmap=``/``mem=`` (the EFI stub turns physical KASLR off,
    drivers/firmware/efi/libstub/x86-stub.c) and on BIOS boots whose decompressor gave up its
    scan (more than 4 ranges, MM308); otherwise a BIOS boot's decompressor keeps the image out of
    the first 4 ``memmap=`` ranges (arch/x86/boot/compressed/kaslr.c ``mem_avoid_memmap()``).

Example:
    ``nokaslr memmap=16M$24M``: the kernel image covers 16-60 MiB, so the 16 MiB reservation at
    24 MiB is turned back into RAM; ``nokaslr mem=28800K memmap=1M*4K:k`` on an RFC kernel places
    ``k`` at the top of RAM below 28.1 MiB, inside the image.

How to fix:
    Reserve memory above the image (above 64 MiB is safe for every distribution kernel), or
    use ``reserve_mem=``, which memblock places around the image.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.e820 import type_name
from memmap_lint.kernel.kaslr import decompressor_nokaslr, efi_stub_override, scan
from memmap_lint.kernel.params import kernel_items
from memmap_lint.kernel.placement import reserved_regions
from memmap_lint.kernel.sizes import human
from memmap_lint.kernel.whatif import limits
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._mm3_common import rng, shown

CODE = "MM310"
NAME = "kernel-image-overridden"
SEVERITY = "error"
NEEDS_E820 = True


def _culprits(ctx: HostContext) -> dict[tuple[int, str], tuple[Param, int, str, str]]:
    """(offset, text) -> (param, offset, shown text, what it left on the image)."""
    sim = ctx.sim
    assert sim is not None and sim.kernel_image is not None
    lo, size = sim.kernel_image
    hi = lo + size
    found: dict[tuple[int, str], tuple[Param, int, str, str]] = {}
    pieces = sim.image_fixups
    for start, end, etype in pieces:
        if etype == 0:
            continue
        for r_start, r_size, param, text in sim.reservations:
            if r_start < end and start < r_start + r_size:
                what = f"{rng(max(start, r_start), min(end, r_start + r_size))} {type_name(etype)}"
                found.setdefault((param.start, text), (param, param.start, f"memmap={text}", what))
    for region in reserved_regions(sim):
        assert region.start is not None
        if region.start < hi and lo < region.start + region.size:
            key = (region.offset, region.text)
            what = f"the region at {rng(region.start, region.start + region.size)}"
            found[key] = (region.param, region.offset, shown(region), what)
    holes = [(s, e) for s, e, t in pieces if t == 0]
    if holes:
        hole = f"no RAM at {', '.join(rng(s, e) for s, e in holes)}"
        limit = next((lim for lim in limits(ctx.cmdline, ctx.kernel) if lim.value < hi), None)
        exactmap = next(
            (
                p
                for p in ctx.cmdline.named("memmap")
                if any(it.form == "exactmap" for it in kernel_items(p, ctx.kernel))
            ),
            None,
        )
        if limit is not None:
            found[(limit.offset, limit.text)] = (limit.param, limit.offset, limit.text, hole)
        elif exactmap is not None:
            found[(exactmap.start, exactmap.raw)] = (exactmap, exactmap.start, exactmap.raw, hole)
    return found


def _where(ctx: HostContext, param: Param, text: str, image_end: int) -> tuple[str, str | None]:
    """Why the image is at 16 MiB for the piece ``text`` of ``param``, and the severity (None:
    certain)."""
    if decompressor_nokaslr(ctx.cmdline):
        return "with nokaslr the image is at CONFIG_PHYSICAL_START", None
    options = ctx.sim.options if ctx.sim is not None else None
    if options is not None and options.facts.image is not None:
        return "the host's facts place the image there", None
    efi = efi_stub_override(ctx.cmdline, ctx.kernel)
    uefi = (
        f"on a UEFI boot the EFI stub turns physical KASLR off ('{efi} detected on the kernel "
        "command line') and loads the image at 16 MiB"
        if efi
        else "on a UEFI boot physical KASLR may put the image anywhere"
    )
    found = scan(ctx.cmdline, ctx.kernel)
    if found.too_large is not None:
        bios, sure = "on a BIOS boot the decompressor gave up its scan (more than 4 ranges)", True
    elif found.mem_limit < image_end:
        bios = (
            f"on a BIOS boot the decompressor's memory limit ({human(found.mem_limit)}) leaves "
            "physical KASLR no room"
        )
        sure = True
    elif any(a.param.start == param.start and f"memmap={a.text}" == text for a in found.avoided):
        bios, sure = "on a BIOS boot the decompressor keeps the image out of this range", False
    else:
        bios, sure = "on a BIOS boot the decompressor does not avoid this range", False
    certain = sure and efi is not None
    return f"{uefi}; {bios}", None if certain else "warning"


def check(ctx: HostContext) -> Iterator[Hit]:
    sim = ctx.sim
    if sim is None or sim.panic or not sim.image_fixups or sim.kernel_image is None:
        return
    start, size = sim.kernel_image
    for param, offset, text, what in _culprits(ctx).values():
        why, severity = _where(ctx, param, text, start + size)
        lost = (
            "the map you declared is not the one the kernel uses"
            if what.startswith("no RAM")
            else "what was reserved there is not, and the kernel runs in it"
        )
        yield Hit(
            f"{text} lies on the kernel image {rng(start, start + size)} ({human(size)}; {why}): "
            f"{what}. The kernel prints '.text .data .bss are not marked as E820_TYPE_RAM!' and "
            f"e820_add_kernel_range() removes every entry there and adds the range as RAM: {lost}."
            " Keep memory edits above the image.",
            param=param,
            offset=offset,
            text=text,
            severity=severity,
        )
