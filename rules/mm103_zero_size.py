"""A reservation, conversion or limit of size 0.

What it finds:
    ``memmap=0$ss`` (and ``0@``, ``0#``, ``0!``, ``0%``), the RFC wildcard ``memmap=0*align:name``,
    ``reserve_mem=0:align:name`` and ``mem=0`` - a size written as 0, or a suffix letter with no
    digits (``memmap=K$1G``).

    Ownership: MM103 owns ``memmap=0$...``; MM101 owns pieces with nothing readable; a zero that
    comes from a misread number (``08M``, ``16E``) is MM102's; ``memmap=0`` alone is the
    memory-limit branch with limit 0 (every byte of RAM removed) and is MM109's.

Why it matters:
    ``e820__range_add()`` appends an entry of size 0, which the sanitize drops: nothing is reserved,
    but the map is marked user-defined. The RFC records the name with size 0, and ``memmap_named()``
    skips zero-size entries, so no consumer finds it. ``reserve_mem()`` returns ``-EINVAL`` for size
    0 (silently up to at least 6.12); ``parse_memopt()`` refuses ``mem=0`` (``Malformed early option
    'mem'``). (arch/x86/kernel/e820.c, mm/memblock.c ``reserve_mem()``, the RFC patch's
    ``e820__region()``.)

Example:
    ``memmap=0$0x100000000``, ``reserve_mem=0:4096:oops``.

How to fix:
    Give the size you mean (``memmap=12M$0x100000000``, ``reserve_mem=12M:4096:oops``) or remove
    the parameter.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.misread import pitfall, reserve_mem_pitfalls
from memmap_lint.kernel.names import name_tails
from memmap_lint.kernel.params import (
    ADD_FORMS,
    MemmapItem,
    kernel_items,
    read_mem,
    read_reserve_mem,
)
from memmap_lint.kernel.sizes import Parsed
from memmap_lint.rule import Hit, HostContext

CODE = "MM103"
NAME = "zero-size"
SEVERITY = "warning"
NEEDS_E820 = False


def _written(text: str, number: Parsed) -> str:
    if number.digits_end == number.start:
        return f"'{text[number.start : number.end]}' has no digits, so the size is 0"
    return "the size is 0"


def check(ctx: HostContext) -> Iterator[Hit]:
    for param in ctx.cmdline.params:
        if param.key == "memmap" and param.value is not None:
            pieces = kernel_items(param, ctx.kernel)
            skip = name_tails(ctx.kernel, pieces)
            for item in pieces:
                if item.offset not in skip:
                    hit = _piece(param, item)
                    if hit is not None:
                        yield hit
        elif param.key == "mem" and param.value not in (None, "nopentium"):
            hit = _mem(param)
            if hit is not None:
                yield hit
        elif param.key == "reserve_mem" and param.value is not None and ctx.kernel.has_reserve_mem:
            hit = _reserve_mem(param, param.value)
            if hit is not None:
                yield hit


def _piece(param: Param, item: MemmapItem) -> Hit | None:
    size = item.size
    if size is None or size.value != 0 or item.form in ("limit", "none", "exactmap"):
        return None
    if pitfall(item.text, size, "the size") is not None:
        return None  # MM102
    shown = f"memmap={item.text}"
    zero = _written(item.text, size)
    if item.form in ADD_FORMS:
        what = (
            "e820__range_add() appends an empty entry that the sanitize drops: nothing is "
            "reserved (the map is still marked user-defined)"
        )
    elif item.form == "%":
        what = "the conversion covers no bytes: nothing changes"
    else:
        what = (
            "the RFC kernel records the name with size 0 and memmap_named() skips zero-size "
            "entries: no consumer finds it"
        )
    return Hit(
        f"{shown}: {zero}; {what}. Give the size you mean.",
        param=param,
        offset=item.offset,
        text=shown,
    )


def _mem(param: Param) -> Hit | None:
    assert param.value is not None
    number = read_mem(param).parsed
    if (
        number is None
        or not number.consumed
        or number.value != 0
        or pitfall(param.value, number, "") is not None
    ):
        return None  # MM101 (no number) or MM102 (misread)
    return Hit(
        f"{param.raw}: {_written(param.value, number)}; parse_memopt() refuses it (-EINVAL, "
        "\"Malformed early option 'mem'\"): no limit is applied, but the map is marked "
        "user-defined. Remove it (there is no 'no limit' value).",
        param=param,
        offset=param.value_offset,
    )


def _reserve_mem(param: Param, value: str) -> Hit | None:
    spec = read_reserve_mem(param, value)
    size = spec.size
    if size is None or not size.consumed or size.value != 0:
        return None
    if reserve_mem_pitfalls(spec, value):
        return None  # MM102
    return Hit(
        f"{param.raw}: {_written(value, size)}; reserve_mem() returns -EINVAL (no message up to "
        "at least 6.12) and nothing is reserved. Give the size, e.g. reserve_mem=12M:4096:oops.",
        param=param,
        offset=param.value_offset,
    )
