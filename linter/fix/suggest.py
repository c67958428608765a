"""An advised line as a change to a boot file (``advise --diff FILE``).

In every entry the named-region requests and their consumers (``memmap=nn*align:name`` pieces,
``reserve_mem=``, ``ramoops.*``, ``trace_instance=``) give way to the advised parameters, written
where the first of them was (else after the entry's last parameter written in the file). Like
every fix, it is applied only when the edited file reads back as promised.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.fix.kinds import Piece
from memmap_lint.fix.model import UNSAFE, Change, Edit, Target
from memmap_lint.fix.where import remove, replace, written
from memmap_lint.kernel.cmdline import Param, parse
from memmap_lint.kernel.params import memmap_items

_CONSUMERS = ("reserve_mem", "trace_instance")


def _rest(p: Param) -> str | None:
    """What stays of ``p`` once the advice replaces its requests ("" : all of it goes; None:
    it is not a request)."""
    if p.key in _CONSUMERS or p.key.startswith("ramoops."):
        return ""
    if p.key == "memmap":
        items = memmap_items(p, True)
        kept = [i.text for i in items if i.form != "*"]
        if len(kept) == len(items):
            return None
        return f"{p.name}={','.join(kept)}" if kept else ""
    return None


def suggestion(t: Target, params: str) -> Iterator[Piece]:
    """The pieces that put ``params`` in this entry in place of its requests."""
    line = parse(t.view.entry.cmdline)
    words = (
        [w for w in params.split() if not line.named(w)] if "nokaslr" in params else params.split()
    )
    text = " ".join(words)
    title = f"use the advised {text}"
    edits: list[Edit] = []
    changes: list[Change] = []
    first = True
    for p in line.params:
        rest = _rest(p)
        if rest is None:
            continue
        new = " ".join(x for x in (rest, text if first else "") if x)
        found = replace(t, p, new) if new else remove(t, p)
        if found is None:
            return
        first = False
        edits.append(found[0])
        changes.append(found[1])
    if first:
        last = next((p for p in reversed(line.params) if written(t, p) is not None), None)
        w = written(t, last) if last is not None else None
        if last is None or w is None:
            return
        edits.append(Edit(w.path, w.end, w.end, f" {text}"))
        changes.append(Change(t.index, last.end, last.end, f" {text}"))
    for c in changes:
        yield Piece("advise", title, UNSAFE, tuple(edits), c)
