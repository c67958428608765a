"""More than 4 memmap= ranges for the boot decompressor's KASLR to avoid.

What it finds:
    Command lines with more than four ``memmap=`` ranges of the ``nn#ss``, ``nn$ss`` or
    ``nn!ss`` forms (``ss`` not 0), counted the way arch/x86/boot/compressed/kaslr.c counts
    them. Two findings are possible: the fifth range in the same ``memmap=`` value as the fourth
    (physical KASLR is abandoned), and ranges in a later ``memmap=`` parameter once four are
    held (silently not avoided while physical KASLR stays on). Nothing is reported when
    ``nokaslr`` is given or a memory limit of 16 MiB or less already turns physical KASLR off.

Why it matters:
    On BIOS (legacy) boots the decompressor picks the kernel's physical address itself and keeps
    it out of at most ``MAX_MEMMAP_REGIONS`` (4) ``memmap=`` ranges (``mem_avoid_memmap()``,
    K6.1 and K6.12). When a value has more pieces after the fourth range it sets
    ``memmap_too_large`` and ``find_random_phys_addr()`` gives up: "Aborted memory entries scan
    (more than 4 memmap= args)!", and the kernel stays at its load address. But once four are
    held, the function returns at once for every later ``memmap=`` parameter without setting that
    flag (its static counter is already full), so physical KASLR stays on and may decompress the
    kernel image inside a range it never saw; ``e820_add_kernel_range()`` then turns the image's
    range back into RAM, and the reservation is lost (arch/x86/kernel/setup.c setup_arch(); arch/x86/boot/compressed/kaslr.c handle_mem_options()). A fix was
    posted to LKML in 2025 ("Fixes: d52e7d5a952c"); which kernels carry it is not known. A
    bare ``nn``, ``%``, ``*`` or typo piece is a memory limit there, ``@`` is ignored, and
    ``exactmap`` or a piece without a number ends that value's scan. On UEFI boots the EFI stub
    turns physical KASLR off whenever ``mem=``, ``memmap=`` or ``hugepages=`` starts a word (the
    first occurrence of each, by ``strstr``), and the decompressor's scan does not matter.

Example:
    ``memmap=1M$4G,1M$5G memmap=1M$6G,1M$7G memmap=64M$8G``: the fifth range, 64 MiB at 8 GiB,
    is not avoided on a BIOS boot.

How to fix:
    Keep at most four such ranges, or put them all in one ``memmap=`` value (the fifth then
    turns physical KASLR off on BIOS boots), or boot with ``nokaslr``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from memmap_lint.kernel.cmdline import Param, isspace
from memmap_lint.kernel.sizes import U64, kstrtoull, memparse
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._mm3_common import MIB, rng

CODE = "MM308"
NAME = "kaslr-scan-aborted"
SEVERITY = "warning"
NEEDS_E820 = False

MAX_MEMMAP_REGIONS = 4
#: include/linux/efi.h EFI_MEMORY_SP: the attribute that makes efi_fake_mem= a range (K6.1).
EFI_MEMORY_SP = 0x40000
#: LOAD_PHYSICAL_ADDR with Debian's CONFIG_PHYSICAL_START.
LOAD_PHYSICAL_ADDR = 16 * MIB


@dataclass(frozen=True, slots=True)
class Piece:
    param: Param
    offset: int
    text: str
    start: int
    size: int


@dataclass(slots=True)
class Scan:
    """What ``handle_mem_options()`` leaves behind."""

    avoided: list[Piece] = field(default_factory=list)
    #: The first piece the scan did not read because the counter was full (memmap_too_large).
    too_large: Piece | None = None
    #: Ranges of later parameters that the full counter made it skip without a word.
    skipped: list[Piece] = field(default_factory=list)
    mem_limit: int = U64


def _parse(p: str, efi: bool) -> tuple[int, int] | None:
    """``parse_memmap()``: (start, size), start 0 meaning a limit; None for -EINVAL."""
    if p.startswith("exactmap"):
        return None
    size = memparse(p)
    if not size.consumed:
        return None
    c = p[size.end : size.end + 1]
    if c in ("#", "$", "!"):
        return memparse(p, size.end + 1).value, size.value
    if c == "@" and efi:
        start = memparse(p, size.end + 1)
        if p[start.end : start.end + 1] == ":":
            flags = kstrtoull(p[start.end + 1 :]).value
            if flags is not None and flags & EFI_MEMORY_SP:
                return start.value, size.value
        return 0, 0
    if c == "@":
        return 0, 0
    return 0, size.value


def _pieces(param: Param) -> list[tuple[int, str]]:
    assert param.value is not None
    base = param.value_start if param.value_start is not None else param.start
    out, pos = [], 0
    for piece in param.value.split(","):
        out.append((base + pos, piece))
        pos += len(piece) + 1
    return out


def scan(ctx: HostContext) -> Scan:
    """Replay arch/x86/boot/compressed/kaslr.c ``handle_mem_options()`` on the command line."""
    result = Scan()
    efi_fake = ctx.kernel.version is not None and ctx.kernel.version < (6, 12, 0)
    for p in ctx.cmdline.params:
        efi = p.name == "efi_fake_mem" and efi_fake
        if p.name == "memmap" or efi:
            if p.value is None:
                continue
            pieces = _pieces(p)
            if len(result.avoided) >= MAX_MEMMAP_REGIONS:
                for offset, text in pieces:  # never parsed: only to name what is not avoided
                    got = _parse(text, efi)
                    if got is not None and got[0]:
                        result.skipped.append(Piece(p, offset, text, got[0], got[1]))
                continue
            k = 0
            while k < len(pieces) and len(result.avoided) < MAX_MEMMAP_REGIONS:
                offset, text = pieces[k]
                got = _parse(text, efi)
                if got is None:
                    break
                k += 1
                start, size = got
                if start == 0:
                    if 0 < size < result.mem_limit:
                        result.mem_limit = size
                    continue
                result.avoided.append(Piece(p, offset, text, start, size))
            else:
                if k < len(pieces) and result.too_large is None:
                    offset, text = pieces[k]
                    result.too_large = Piece(p, offset, text, 0, 0)
        elif p.name == "mem" and p.value is not None and p.value != "nopentium":
            size = memparse(p.value).value
            if size == 0:
                break
            result.mem_limit = min(result.mem_limit, size)
    return result


def efi_stub_override(text: str) -> str | None:
    """The option that makes the EFI stub turn physical KASLR off (``parse_options()``)."""
    for opt in ("mem=", "memmap=", "efi_fake_mem=", "hugepages="):
        at = text.find(opt)
        if at == 0 or (at > 0 and isspace(text[at - 1])):
            return opt
    return None


def _efi(ctx: HostContext) -> str:
    opt = efi_stub_override(ctx.cmdline.text)
    if opt:
        return (
            f" On UEFI boots the EFI stub has already turned physical KASLR off ('{opt} "
            "detected on the kernel command line - disabling physical KASLR'), so this concerns "
            "BIOS boots."
        )
    return ""


def check(ctx: HostContext) -> Iterator[Hit]:
    every = (*ctx.cmdline.params, *ctx.cmdline.init_args)
    if any(p.name == "nokaslr" for p in every):
        return
    result = scan(ctx)
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
