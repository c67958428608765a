"""Physical KASLR before the kernel runs: the boot decompressor's memmap= scan and the EFI stub.

arch/x86/boot/compressed/kaslr.c ``handle_mem_options()``/``mem_avoid_memmap()`` (6.1, 6.12)
keeps at most ``MAX_MEMMAP_REGIONS`` ranges to place the kernel around; the EFI stub turns
physical KASLR off when the line holds a memory option.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from memmap_lint.kernel.cmdline import Cmdline, Param, isspace
from memmap_lint.kernel.release import Kernel
from memmap_lint.kernel.sizes import U64, kstrtoull, memparse

MIB = 1 << 20
MAX_MEMMAP_REGIONS = 4
#: include/linux/efi.h EFI_MEMORY_SP: the attribute that makes efi_fake_mem= a range (K6.1).
EFI_MEMORY_SP = 0x40000
#: arch/x86/include/asm/page_types.h LOAD_PHYSICAL_ADDR with Debian's CONFIG_PHYSICAL_START.
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
    base = param.value_offset
    out, pos = [], 0
    for piece in param.value.split(","):
        out.append((base + pos, piece))
        pos += len(piece) + 1
    return out


def scan(cmdline: Cmdline, kernel: Kernel) -> Scan:
    """Replay arch/x86/boot/compressed/kaslr.c ``handle_mem_options()`` on the command line."""
    result = Scan()
    efi_fake = kernel.has_efi_fake_mem
    for p in cmdline.params:
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


def efi_stub_override(cmdline: Cmdline, kernel: Kernel) -> str | None:
    """The option that makes the EFI stub turn physical KASLR off: drivers/firmware/efi/libstub/
    x86-stub.c ``parse_options()`` looks for the first occurrence (``strstr``) of each of
    ``mem=``, ``memmap=``, ``efi_fake_mem=`` (gone with efi_fake_mem itself) and ``hugepages=``
    and takes it when it starts the line or follows a space."""
    opts = ("mem=", "memmap=", "efi_fake_mem=", "hugepages=")
    text = cmdline.text
    for opt in opts if kernel.has_efi_fake_mem else tuple(o for o in opts if o != "efi_fake_mem="):
        at = text.find(opt)
        if at == 0 or (at > 0 and isspace(text[at - 1])):
            return opt
    return None


def decompressor_nokaslr(cmdline: Cmdline) -> bool:
    """``nokaslr`` as arch/x86/boot/compressed/kaslr.c ``choose_random_location()`` finds it:
    arch/x86/lib/cmdline.c ``__cmdline_find_option_bool()`` reads the whole line, ``--``
    included, and takes the word only when a space or the end follows it (``nokaslr=`` is not
    it)."""
    return any(
        p.name == "nokaslr" and p.value is None for p in (*cmdline.params, *cmdline.init_args)
    )
