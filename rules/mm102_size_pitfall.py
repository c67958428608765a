"""A number the kernel reads differently from what was written.

What it finds:
    Sizes, addresses, alignments and ``%`` types of ``memmap=`` pieces and ``reserve_mem=`` values
    that ``memparse()``/``simple_strtoull()`` misread: a leading 0 (octal: ``010M`` is 8 MiB,
    ``08M`` is 0), ``0x`` without a hex digit, a hex number ending in ``E`` (a digit, not the exa
    suffix: ``0x1E`` is 30), unit letters after the suffix (``4GB``, ``5KiB``: only ``G``/``K``
    counts) or a fraction (``1.5G`` is 1), digits or a suffix shift that overflow 64 bits and
    wrap (``16E`` is 0), and ``%`` type numbers wider than the kernel's 32-bit type.

    Ownership: a misread size that sends a ``memmap=`` piece into the memory-limit branch
    (``memmap=4GB$12G``, ``memmap=08M$1G``) is reported by MM109, and any misread ``mem=`` value
    that still sets a limit too; this rule reports everything else, including the zero and the
    leftover text a misreading causes (MM103 and MM101 skip those).

Why it matters:
    The kernel never rejects a number: ``memparse()`` reads what it can and the caller carries on
    with the rest (lib/cmdline.c ``memparse``, lib/vsprintf.c ``simple_strtoull``).
    ``memmap=64M$1.5G`` reserves 64 MiB at address 1; ``memmap=12M$010G`` reserves at 8 GiB instead
    of 10 GiB; ``reserve_mem=12MB:4096:oops`` is refused because ``B`` stands where ``:`` must;
    ``memmap=1G%4G-1+0x100000002`` converts RAM to type 2, not to a 33-bit type.

Example:
    ``memmap=64M$0x1E0000000`` is fine; ``memmap=64M$1.5G`` and ``reserve_mem=12MB:4096:oops``
    are not.

How to fix:
    Write sizes as a decimal or ``0x`` hex number with one letter K, M, G, T, P or E and nothing
    after it; no leading zeros, no fractions (``1536M``, not ``1.5G``); spell exa sizes in
    decimal; keep ``%`` types below 2^32.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.misread import piece_pitfalls, pitfall, reserve_mem_pitfalls
from memmap_lint.kernel.panics import wrapping_entries
from memmap_lint.kernel.params import ADD_FORMS, MemmapItem, read_mem, read_reserve_mem
from memmap_lint.kernel.sizes import Parsed, human
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._cmdline_common import owned_pieces

CODE = "MM102"
NAME = "size-pitfall"
SEVERITY = "error"
NEEDS_E820 = False

_TYPE_NAMES = {"@": "usable RAM", "#": "ACPI data", "$": "reserved", "!": "persistent (type 12)"}


def check(ctx: HostContext) -> Iterator[Hit]:
    wrapping = {
        it.offset for _, it in wrapping_entries(ctx.cmdline, ctx.kernel, ctx.sim)
    }  # MM110 explains them
    for param in ctx.cmdline.params:
        if param.key == "memmap" and param.value is not None:
            for _, item in owned_pieces(ctx, param):
                if item.offset not in wrapping and item.form not in ("limit", "none", "exactmap"):
                    yield from _piece(param, item)
        elif param.key == "mem" and param.value is not None and param.value != "nopentium":
            yield from _mem(param, param.value)
        elif param.key == "reserve_mem" and param.value is not None and ctx.kernel.has_reserve_mem:
            yield from _reserve_mem(param, param.value)


def _piece(param: Param, item: MemmapItem) -> Iterator[Hit]:
    if item.hits_update_bug:
        return  # MM110 reports the BUG and the type truncation that caused it
    shown = f"memmap={item.text}"
    for number, why in piece_pitfalls(item):
        yield Hit(
            f"{shown}: {why}; {_outcome(item, number)}",
            param=param,
            offset=item.offset + number.start,
            text=shown,
        )


def _outcome(item: MemmapItem, number: Parsed) -> str:
    """What the kernel then does with the piece, in its terms."""
    size = item.size.value if item.size is not None else 0
    if item.form in ADD_FORMS and item.start is not None:
        kind = _TYPE_NAMES[item.form]
        did = f"the kernel adds {human(size)} of {kind} at {item.start.value:#x}"
        if size == 0:
            did += " (an empty entry: nothing is reserved)"
        if item.trailing:
            did += f" and ignores '{item.trailing}'"
        return did + "."
    if item.form == "%":
        if item.trailing:
            return (
                f"'{item.trailing}' is left over, so the piece is refused (-EINVAL) before it "
                "acts: nothing is changed."
            )
        return (
            f"the kernel acts on [{item.start.value if item.start else 0:#x}, +{human(size)}) "
            f"with old type {item.old_type} and new type {item.new_type}."
        )
    if item.form == "*":
        if item.name is None:
            return "no ':' follows, so the RFC kernel returns -EINVAL: nothing is reserved."
        align = item.align.value if item.align else 0
        return f"the RFC kernel reserves {human(size)} aligned to {align:#x} for '{item.name}'."
    return "the kernel goes on with that value."


def _mem(param: Param, value: str) -> Iterator[Hit]:
    number = read_mem(param).parsed
    if number is None:
        return
    why = pitfall(value, number, "the size")
    if why is None or number.value != 0:
        return  # a non-zero limit is MM109's, which explains the misreading
    yield Hit(
        f"{param.raw}: {why}; mem= of 0 is refused (-EINVAL, \"Malformed early option 'mem'\"): "
        "no limit is applied.",
        param=param,
        offset=param.value_offset + number.start,
    )


def _reserve_mem(param: Param, value: str) -> Iterator[Hit]:
    spec = read_reserve_mem(param, value)
    for number, why in reserve_mem_pitfalls(spec, value):
        if spec.error is not None:
            outcome = (
                f"reserve_mem() refuses the value ({spec.error}, -EINVAL, no message up to at "
                "least 6.12): nothing is reserved."
            )
        else:
            outcome = (
                f"memblock reserves {human(spec.size.value if spec.size else 0)} aligned to "
                f"{spec.effective_align:#x} for '{spec.name}'."
            )
        yield Hit(
            f"{param.raw}: {why}; {outcome}",
            param=param,
            offset=param.value_offset + number.start,
        )
