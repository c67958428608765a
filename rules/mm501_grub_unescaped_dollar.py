"""A ``$`` in a boot file that the boot tooling expands before the kernel sees it.

What it finds:
    A ``memmap=nn$ss`` parameter in ``/etc/default/grub`` (or a ``grub.d`` drop-in), grub.cfg, a
    BLS entry or grubenv's ``kernelopts`` whose ``$`` does not reach the kernel: sh, GRUB or
    blscfg takes ``$`` and the digits after it for a variable and replaces them with nothing.

Why it matters:
    grub-mkconfig sources /etc/default/grub with dash (``$1`` is empty, ``$12`` is ``${1}2``),
    copies the value verbatim into grub.cfg, and GRUB's lexer expands ``$12`` inside the menu
    entry (positional parameters are empty, ``$1`` is the title; double quotes do not protect
    ``$``). ``memmap=4G$12G`` reaches the kernel as ``memmap=4GG``, which the kernel reads as the
    bare form: every byte of RAM above 4 GiB is removed (GRUB util/grub-mkconfig.in run by dash,
    grub-core/script/yylex.l, execute.c; arch/x86/kernel/e820.c ``parse_memmap_one()``). Newer
    rhboot blscfg builds run ``expand_val`` on BLS ``options`` (and on ``$kernelopts``'s value),
    which has no escape at all (grub-core/commands/blscfg.c ``expand_val()``).

Example:
    ``GRUB_CMDLINE_LINUX="memmap=4G\\$12G"`` (the usual advice) puts ``memmap=4G$12G`` in
    grub.cfg and the kernel receives ``memmap=4GG``.

How to fix:
    In /etc/default/grub write ``\\\\\\$`` inside double quotes (``"memmap=4G\\\\\\$12G"``) or
    ``\\$`` inside single quotes (``'memmap=4G\\$12G'``). In grub.cfg write ``\\$`` or use single
    quotes. In BLS files no escape survives expand_val: write ``memmap=4G%12G+2`` instead, which
    the kernel handles exactly like ``memmap=4G$12G`` (``parse_memmap_one``: ``%`` with only
    ``+type`` calls ``e820__range_add`` with that type, 2 = reserved) and which no boot loader
    touches.

    Ownership: MM109 (memory-limit) also sees the mangled ``memmap=4GG``; where MM501 explains
    it, MM501 is reported alone (``SUPERSEDES``).
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.bootconfig.dollars import LostDollar, escaped, lost_dollars, percent_form
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._boot_common import effect

CODE = "MM501"
NAME = "grub-unescaped-dollar"
SEVERITY = "error"
NEEDS_E820 = False
#: MM109's generic reading of the parameter a lost ``$`` mangled is replaced by this finding.
SUPERSEDES = ("MM109",)


def _advice(lost: LostDollar) -> str:
    bare = lost.intended
    if lost.path_kind == "grub-default":
        if lost.quote == "'":
            fix = f"'{escaped(bare, chr(92) + '$')}' (one backslash inside single quotes)"
        else:
            fix = (
                f'"{escaped(bare, chr(92) * 3 + "$")}" (three backslashes inside double '
                f"quotes) or '{escaped(bare, chr(92) + '$')}' (one inside single quotes)"
            )
        return (
            f"In this file write {fix}: sh removes one level of backslashes and GRUB another, "
            f'so "{escaped(bare, chr(92) + "$")}", the usual advice, still loses the $.'
        )
    if lost.path_kind == "grub-cfg":
        return (
            f"In grub.cfg write {escaped(bare, chr(92) + '$')} or '{bare}' (GRUB expands $ "
            "inside double quotes too); if update-grub generates this file, fix "
            "/etc/default/grub instead or the next update-grub brings the problem back."
        )
    return (
        "No escape works here: blscfg's expand_val keeps a backslash and still consumes the "
        "$NAME (grub-core/commands/blscfg.c); which RHEL/Fedora releases ship expand_val is "
        "not confirmed."
    )


def check(ctx: HostContext) -> Iterator[Hit]:
    v = ctx.boot
    if v is None or v.config.kind not in ("grub-default", "grub-cfg", "bls"):
        return
    for lost in lost_dollars(v, ctx.cmdline):
        alt = percent_form(lost.intended)
        avoid = (
            f" Or avoid $ altogether: {alt} reserves the same range (parse_memmap_one: '%' with "
            "only +type calls e820__range_add like '$'), and no boot loader touches it."
            if alt
            else ""
        )
        yield Hit(
            f"critical: {lost.intended} (the $ at {lost.dollar.path}:{lost.dollar.line}:"
            f"{lost.dollar.column}) does not reach the kernel: {lost.layer}, so the kernel "
            f"receives {lost.param.raw}: {effect(lost.param, ctx)}. {_advice(lost)}{avoid}",
            param=lost.param if lost.param in ctx.cmdline.params else None,
            offset=_offset(ctx, lost),
            text=lost.param.raw,
        )


def _offset(ctx: HostContext, lost: LostDollar) -> int | None:
    if lost.param in ctx.cmdline.params:
        return lost.param.start
    v = ctx.boot
    if v is None:
        return None
    # The expand_val variant: point at the parameter as the plain command line has it.
    for p in ctx.cmdline.named("memmap"):
        if v.entry.origin_at(p.start) == lost.origin:
            return p.start
    return None
