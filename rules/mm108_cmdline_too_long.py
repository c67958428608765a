"""A command line longer than the kernel reads: the end of it is lost.

What it finds:
    A command line that does not fit in x86's ``COMMAND_LINE_SIZE`` (2048 bytes with the NUL, so
    2047 characters). When the host's facts name the kernel image GRUB boots
    (``facts["boot_image"]``), GRUB's own ``BOOT_IMAGE=<path> `` prefix is counted and GRUB's rule
    applies: the first word that does not fit and every word after it are dropped. Otherwise the
    kernel's rule applies: it reads 2047 bytes, so a parameter can be cut in the middle. A boot
    entry read from a grub.cfg, /etc/default/grub or BLS file already went through GRUB's rule:
    the words its loader dropped are reported at the first of them. The finding names the
    parameters lost or cut.

Why it matters:
    GRUB's x86 loader sizes the buffer from the bzImage header (``cmdline_size + 1`` = 2048) and
    ``grub_create_loader_cmdline()`` stops at the first argument that does not fit, silently
    (grub-core/loader/i386/linux.c, grub-core/lib/cmdline.c). The kernel copies 2048 bytes and
    parses at most 2047 (``strscpy`` into ``COMMAND_LINE_SIZE``; arch/x86/include/asm/setup.h).
    A reservation at the end of a long line is simply never seen; a cut one reads a different
    number (init/main.c ``setup_command_line()``; GRUB grub-core/lib/cmdline.c).

Example:
    A 2100-byte line that ends in ``memmap=12M$0x100000000 ramoops.mem_address=0x100000000``.

How to fix:
    Shorten the command line, and put memory reservations near the start so that they are the last
    thing to be lost.

Facts read: ``boot_image`` (the path GRUB passes as ``BOOT_IMAGE=``).
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.cmdline import COMMAND_LINE_SIZE, Param, parse
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._cmdline_common import is_memory_param

CODE = "MM108"
NAME = "cmdline-too-long"
SEVERITY = "warning"
NEEDS_E820 = False

#: ``sizeof("BOOT_IMAGE=") - 1``.
BOOT_IMAGE = "BOOT_IMAGE="


def _bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


def _grub_cut(tokens: list[Param], image: str) -> int | None:
    """Index of the first word ``grub_create_loader_cmdline()`` drops (None: all fit).

    The buffer after ``BOOT_IMAGE=`` holds ``COMMAND_LINE_SIZE - 11`` bytes; each word costs its
    length plus a separator (the last one's is the NUL). ``tokens`` are the words as the kernel
    receives them, i.e. already carrying GRUB's escapes.
    """
    room = COMMAND_LINE_SIZE - len(BOOT_IMAGE) - (_bytes(image) + 1)
    if room < 0:
        return 0
    for i, tok in enumerate(tokens):
        cost = _bytes(tok.raw) + 1
        if room < cost:
            return i
        room -= cost
    return None


def _names(params: list[Param]) -> str:
    memory = [p.raw for p in params if is_memory_param(p)]
    others = [p.raw for p in params if not is_memory_param(p)]
    shown = memory[:6] + others[: max(0, 6 - len(memory))]
    more = len(params) - len(shown)
    text = ", ".join(shown)
    return text + (f" and {more} more" if more > 0 else "")


def _grub_dropped(ctx: HostContext) -> Hit | None:
    """The words a boot entry's GRUB left out (its command line is already without them)."""
    entry = ctx.boot.entry if ctx.boot is not None else None
    if entry is None or not entry.dropped:
        return None
    lost = [p for word in entry.dropped for p in parse(word, None).params]
    at = ctx.boot.offset_of(entry.dropped_at) if ctx.boot and entry.dropped_at else None
    return Hit(
        f"GRUB's command line buffer is full at '{entry.dropped[0]}': the kernel takes at most "
        f"{COMMAND_LINE_SIZE - 1} bytes with GRUB's 'BOOT_IMAGE=' prefix, so GRUB drops that "
        f"word and every word after it, without a message. Lost: {_names(lost)}. Shorten the "
        "line or move memory parameters to its start.",
        offset=at,
        text=entry.dropped[0],
        severity="error" if any(is_memory_param(p) for p in lost) else None,
    )


def check(ctx: HostContext) -> Iterator[Hit]:
    dropped = _grub_dropped(ctx)
    if dropped is not None:
        yield dropped
        return
    text = ctx.cmdline.text
    image = ctx.facts.get("boot_image")
    whole = parse(text, None)  # every word, `--` included, without a length limit
    tokens = whole.tokens()
    if isinstance(image, str) and image and not text.lstrip().startswith(BOOT_IMAGE):
        cut = _grub_cut(tokens, image)
        if cut is None:
            return
        lost = [t for t in tokens[cut:] if t.name != "--"]
        total = len(BOOT_IMAGE) + _bytes(image) + 1 + _bytes(" ".join(t.raw for t in tokens))
        severity = "error" if any(is_memory_param(p) for p in lost) else None
        yield Hit(
            f"with GRUB's 'BOOT_IMAGE={image} ' prefix the command line is {total} bytes; the "
            f"kernel takes at most {COMMAND_LINE_SIZE - 1}, so GRUB drops every word from "
            f"'{tokens[cut].raw}' on, without a message. Lost: {_names(lost)}. Shorten the "
            "line or move memory parameters to its start.",
            param=tokens[cut] if tokens[cut] is not whole.separator else None,
            offset=tokens[cut].start,
            text=tokens[cut].raw,
            severity=severity,
        )
        return
    at = ctx.cmdline.truncated_at
    if at is None:
        return
    crossing = [t for t in tokens if t.start < at < t.end]
    lost = [t for t in tokens if t.start >= at and t.name != "--"]
    parts = []
    if crossing:
        kept = text[crossing[0].start : at]
        parts.append(f"'{crossing[0].raw}' is cut to '{kept}'")
    if lost:
        parts.append(f"lost: {_names(lost)}")
    hurt = [p for p in (*crossing, *lost) if is_memory_param(p)]
    yield Hit(
        f"the command line is {_bytes(text)} bytes; the kernel reads only the first "
        f"{COMMAND_LINE_SIZE - 1} (COMMAND_LINE_SIZE {COMMAND_LINE_SIZE}), so "
        f"{'; '.join(parts)}. Shorten the line or move memory parameters to its start.",
        param=crossing[0] if crossing and crossing[0] is not whole.separator else None,
        offset=at,
        severity="error" if hurt else None,
    )
