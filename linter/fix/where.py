"""Where a command-line parameter of a boot entry is written, character for character."""

from __future__ import annotations

from dataclasses import dataclass

from memmap_lint.bootconfig.dollars import index_of
from memmap_lint.fix.model import Change, Edit, Target
from memmap_lint.kernel.cmdline import Param

_BLANKS = " \t"


@dataclass(frozen=True, slots=True)
class Written:
    """The characters ``[start, end)`` of file ``path`` that wrote a parameter verbatim."""

    path: str
    start: int
    end: int
    text: str  # the whole file


def written(t: Target, param: Param) -> Written | None:
    """Where ``param`` of the entry is written verbatim (None: escaped, split or synthesized)."""
    entry = t.view.entry
    if param.end <= param.start:
        return None
    first = entry.origin_at(param.start)
    last = entry.origin_at(param.end - 1)
    if first is None or last is None or (first.path, first.line) != (last.path, last.line):
        return None
    text = t.view.sources.get(first.path)
    if text is None:
        return None
    a = index_of(text, first)
    b = index_of(text, last) + 1
    if text[a:b] != param.raw:
        return None
    return Written(first.path, a, b, text)


def replace(t: Target, param: Param, new: str) -> tuple[Edit, Change] | None:
    """The edit that writes ``new`` in place of ``param``, and what the entry then receives."""
    w = written(t, param)
    if w is None:
        return None
    return Edit(w.path, w.start, w.end, new), Change(t.index, param.start, param.end, new)


def remove(t: Target, param: Param) -> tuple[Edit, Change] | None:
    """The edit that deletes ``param`` with one blank beside it, and the entry's change."""
    w = written(t, param)
    if w is None:
        return None
    line = t.view.entry.cmdline
    a, b = w.start, w.end
    if a > 0 and w.text[a - 1] in _BLANKS:
        a -= 1
    elif b < len(w.text) and w.text[b] in _BLANKS:
        b += 1
    s, e = param.start, param.end
    if s > 0 and line[s - 1] in _BLANKS:
        s -= 1
    elif e < len(line) and line[e] in _BLANKS:
        e += 1
    return Edit(w.path, a, b, ""), Change(t.index, s, e, "")
