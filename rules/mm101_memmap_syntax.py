"""A memmap=, mem= or reserve_mem= value that the kernel rejects or only half reads.

What it finds:
    Every ``-EINVAL`` path of ``parse_memmap_one()`` that is not a misread number: a piece with no
    number (``memmap=$1G``, ``memmap=-1``, an empty piece from a stray comma), text after the
    address of ``nn@ss``/``nn$ss``/``nn#ss``/``nn!ss`` (applied first, then silently refused), text
    after the types of ``nn%ss-old+new`` (refused before anything is done), the RFC wildcard
    without ``:name``; ``memmap`` and ``mem`` without a value, ``mem=nopentium`` and a ``mem=``
    value with no number; ``reserve_mem=`` without a size or without its two ``:``.

    Ownership: misread numbers (``4GB``, ``08M``, ``1.5G``) are MM102's, sizes of 0 MM103's,
    pieces that end up in the memory-limit branch (``memmap=4G2G``) MM109's, wildcards on a
    kernel without the RFC MM105's, ``reserve_mem=`` on a kernel without it MM106's, and bad names
    MM201/MM202's. On the RFC kernel, pieces after a named wildcard that do not start with a digit
    are the rest of a name cut at a comma: MM205 reports them.

Why it matters:
    ``parse_memmap_opt()`` discards every return code, and the add forms act before they look at
    what follows the address, so the kernel prints nothing: ``memmap=100M$4G;2M$1G`` reserves the
    first range and silently drops ``;2M$1G``; ``memmap=1G%4G-1+2K`` is refused before it does
    anything. ``mem`` without a value and ``mem=nopentium`` only print ``Malformed early option`` /
    ``mem=nopentium ignored!``. ``reserve_mem()`` fails with ``-EINVAL`` and, up to at least 6.12,
    prints nothing (arch/x86/kernel/e820.c ``parse_memmap_one()``, ``parse_memopt()``; mm/memblock.c
    ``reserve_mem()``).

Example:
    ``memmap=100M$0x100000000;2M$0x7000000`` (a ``;`` where a ``,`` was meant),
    ``memmap=64M%0x100000000-1+12K``, ``reserve_mem=12M:oops``.

How to fix:
    Separate ``memmap=`` pieces with commas and nothing else; write ``%`` types as plain numbers
    (``-1+12``); give ``reserve_mem=`` its three fields ``size:align:name``
    (``reserve_mem=12M:4096:oops``).
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.cmdline import Param, swallowing
from memmap_lint.kernel.misread import piece_pitfalls, reserve_mem_pitfalls
from memmap_lint.kernel.names import name_tails
from memmap_lint.kernel.params import (
    ADD_FORMS,
    MemmapItem,
    kernel_items,
    read_mem,
    read_reserve_mem,
)
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext

CODE = "MM101"
NAME = "memmap-syntax"
SEVERITY = "error"
NEEDS_E820 = False

_TYPE_NAMES = {"@": "usable RAM", "#": "ACPI data", "$": "reserved", "!": "persistent (type 12)"}


def check(ctx: HostContext) -> Iterator[Hit]:
    for param in ctx.cmdline.params:
        if param.key == "memmap":
            yield from _memmap(ctx, param)
        elif param.key == "mem":
            yield from _mem(param)
        elif param.key == "reserve_mem" and ctx.kernel.has_reserve_mem:
            yield from _reserve_mem(param)


def _memmap(ctx: HostContext, param: Param) -> Iterator[Hit]:
    if param.value is None:
        yield Hit(
            "'memmap' without '=': the kernel calls its handler with no value and nothing "
            "happens. Write memmap=<size>$<address> (or remove it).",
            param=param,
            severity="warning",
        )
        return
    pieces = kernel_items(param, ctx.kernel)
    skip = name_tails(ctx.kernel, pieces)
    quoted = swallowing(ctx.cmdline) == param
    for item in pieces:
        if item.offset in skip or (quoted and any(c.isspace() for c in item.trailing)):
            continue  # MM205 / MM111
        hit = _piece(param, item, len(pieces))
        if hit is not None:
            yield hit


def _piece(param: Param, item: MemmapItem, count: int) -> Hit | None:
    shown = f"memmap={item.text}"
    if item.form == "none":
        return _no_number(param, item, count)
    if piece_pitfalls(item):
        return None  # MM102 explains the misread number and what follows it
    at = item.offset + len(item.text) - len(item.trailing)
    if item.form in ADD_FORMS and item.trailing and item.start is not None and item.size:
        kind = _TYPE_NAMES[item.form]
        start = item.start.value
        hint = (
            " Separate memmap pieces with ',' only."
            if any(c in item.trailing for c in "@#$!%") or item.trailing[:1] in ";:/+ "
            else ""
        )
        return Hit(
            f"{shown}: the kernel adds {human(item.size.value)} of {kind} at {start:#x}, then finds "
            f"'{item.trailing}' after the address and returns -EINVAL, which nobody reports: "
            f"'{item.trailing}' is silently ignored.{hint}",
            param=param,
            offset=at,
            text=shown,
            severity="warning",
        )
    if item.form == "%" and item.trailing:
        return Hit(
            f"{shown}: '{item.trailing}' after the types is not understood, so "
            f"parse_memmap_one() returns -EINVAL before it acts: nothing is changed. "
            f"{_percent_hint(item)}",
            param=param,
            offset=at,
            text=shown,
        )
    if item.form == "*" and item.name is None:
        return Hit(
            f"{shown}: the wildcard needs ':name' after the alignment; the RFC kernel searches, "
            f"then returns -EINVAL: nothing is reserved. Write "
            f"memmap={item.text[: item.align.end if item.align else len(item.text)]}:NAME.",
            param=param,
            offset=at,
            text=shown,
        )
    return None


def _percent_hint(item: MemmapItem) -> str:
    tail = item.trailing
    if tail[:1].upper() in "KMGTPE" and tail[:1]:
        return "Type numbers are plain numbers with no K/M/G suffix (memmap=64M%4G-1+12)."
    if tail[:1] == "-":
        return "The old type ('-N') must come before the new type ('+N')."
    return "The form is nn%ss-old+new with plain type numbers (memmap=64M%4G-1+12)."


def _no_number(param: Param, item: MemmapItem, count: int) -> Hit:
    shown = f"memmap={item.text}"
    if not item.text:
        if count == 1:
            return Hit(
                "'memmap=' with an empty value: the kernel finds no number and does nothing.",
                param=param,
                severity="warning",
            )
        return Hit(
            f"{param.raw}: an empty piece (a stray comma) at column {item.offset + 1}: the "
            "kernel finds no number there and ignores it.",
            param=param,
            offset=item.offset,
            text=shown,
            severity="info",
        )
    first = item.text[:1]
    if first in "+-":
        why = "the kernel's numbers have no sign"
    elif first in "@#$!%*":
        why = "the size is missing before '" + first + "'"
    else:
        why = f"'{first}' does not start a number"
    return Hit(
        f"{shown}: {why}, so parse_memmap_one() reads no size and returns -EINVAL: this piece "
        "does nothing.",
        param=param,
        offset=item.offset,
        text=shown,
    )


def _mem(param: Param) -> Iterator[Hit]:
    if param.value is None:
        yield Hit(
            "'mem' without '=': parse_memopt() gets no value and the kernel prints "
            "\"Malformed early option 'mem'\"; no limit is applied.",
            param=param,
            severity="warning",
        )
        return
    if param.value == "nopentium":
        yield Hit(
            "mem=nopentium only works on 32-bit x86: a 64-bit kernel prints "
            '"mem=nopentium ignored! (only supported on x86_32)" and ignores it. Remove it.',
            param=param,
            severity="warning",
        )
        return
    parsed = read_mem(param).parsed
    assert parsed is not None
    if not parsed.consumed:
        yield Hit(
            f"{param.raw}: no number, so the kernel reads 0 and refuses it (-EINVAL, "
            "\"Malformed early option 'mem'\"): no limit is applied, yet the map is marked "
            "user-defined. Write mem=<size> such as mem=4G, or remove it.",
            param=param,
            offset=param.value_offset,
        )


def _reserve_mem(param: Param) -> Iterator[Hit]:
    if param.value is None:
        yield Hit(
            "'reserve_mem' without '=' does not match the kernel's 'reserve_mem=' handler: it "
            "is passed to init as an argument and nothing is reserved. Write "
            "reserve_mem=<size>:<align>:<name>.",
            param=param,
            severity="warning",
        )
        return
    value = param.value
    spec = read_reserve_mem(param, value)
    if spec.error is None or reserve_mem_pitfalls(spec, value):
        return  # valid, or MM102 explains the misread number
    base = param.value_offset
    if spec.size is None or not spec.size.consumed:
        where, why = base, "there is no size"
    elif spec.fault == "size-colon":
        where = base + spec.size.end
        why = f"'{value[spec.size.end : spec.size.end + 1] or 'the end'}' follows the size where ':' must"
    elif spec.fault == "align-colon" and spec.align is not None:
        where = base + spec.align.end
        if spec.align.digits_end == spec.align.start:
            where = base + spec.align.start
            why = (
                f"there is no alignment: after '{value[: spec.align.start]}' the kernel expects "
                f"<align>:<name> and finds '{value[spec.align.start :]}'"
            )
            yield _reserve_mem_hit(param, where, why)
            return
        found = value[spec.align.end : spec.align.end + 1]
        why = (
            "the value ends where ':' must follow the alignment"
            if not found
            else f"'{found}' follows the alignment where ':' must"
        )
    else:
        return  # zero size (MM103) or a bad name (MM201/MM202)
    yield _reserve_mem_hit(param, where, why)


def _reserve_mem_hit(param: Param, where: int, why: str) -> Hit:
    return Hit(
        f"{param.raw}: {why}; reserve_mem() returns -EINVAL without a message (up to at least "
        "6.12) and nothing is reserved. The form is reserve_mem=<size>:<align>:<name>, e.g. "
        "reserve_mem=12M:4096:oops.",
        param=param,
        offset=where,
    )
