"""A double quote that is never closed: the rest of the line becomes one parameter.

What it finds:
    A command line with an odd number of ``"``. The finding points at the quote that stays open
    and names the parameters swallowed by it.

Why it matters:
    ``next_arg()`` (lib/cmdline.c) toggles its in-quote state at every ``"`` and only ends a token
    at whitespace outside quotes; an unterminated quote therefore swallows everything up to the end
    of the line into one token. ``memmap="12M$0x100000000 ro quiet`` is a single ``memmap=``
    whose value is ``12M$0x100000000 ro quiet``; the parameters after the quote are never seen
    as parameters (lib/cmdline.c next_arg()).

Example:
    ``memmap="12M$0x100000000 reserve_mem=12M:4096:oops ramoops.mem_name=oops``

How to fix:
    Close the quote, or drop it: the kernel needs quotes only around values that contain spaces.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.cmdline import open_quote, swallowed, swallowing
from memmap_lint.rule import Hit, HostContext

CODE = "MM111"
NAME = "unbalanced-quote"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    text = ctx.cmdline.text
    at = open_quote(text)
    if at is None:
        return
    owner = swallowing(ctx.cmdline)
    lost = [p.raw for p in swallowed(ctx.cmdline)]
    name = owner.name if owner is not None else "the token"
    if lost:
        shown = ", ".join(lost[:6]) + (f" and {len(lost) - 6} more" if len(lost) > 6 else "")
        what = f"these are not parameters but part of {name}'s text: {shown}"
    else:
        what = "nothing follows it yet, but anything appended later will be swallowed"
    yield Hit(
        f"the '\"' at column {at + 1} is never closed: next_arg() reads everything from there to "
        f"the end of the line as one token; {what}. Close the quote or remove it.",
        param=owner,
        offset=at,
        severity=None if lost else "warning",
    )
