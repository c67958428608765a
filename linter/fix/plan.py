"""Choosing the fixes to apply to one boot configuration, and proving each one before use.

A fix is kept only if reading the edited files again (with the same front end, the same
drop-ins and grubenv) gives every entry exactly the command line its changes promise: an edit
whose quoting or position the front end reads otherwise is never applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from memmap_lint.bootconfig import BootConfig, load_boot_config
from memmap_lint.errors import LintError
from memmap_lint.fix.kinds import KINDS, Piece
from memmap_lint.fix.model import SAFE, Change, Edit, Fix, Target
from memmap_lint.fix.text import apply_spans, overlapping


@dataclass(frozen=True)
class Outcome:
    """The fixes applied, those left out (unsafe without the flag, overlapping another, or not
    provable), and the files' text before and after (only files that change)."""

    applied: tuple[Fix, ...]
    left: tuple[Fix, ...]
    before: Mapping[str, str]
    after: Mapping[str, str]
    #: Of ``left``: those whose edits overlap a fix applied first (the next round can make them).
    overlapping: tuple[Fix, ...] = ()


def fixes(targets: Sequence[Target]) -> list[Fix]:
    """Every fix the kinds find on the entries, pieces with the same edits merged."""
    return merged(piece for t in targets for kind in KINDS for piece in kind(t))


def merged(pieces: Iterable[Piece]) -> list[Fix]:
    """Pieces with the same edits (one text feeding several entries) as one fix each."""
    grouped: dict[tuple[object, ...], list[Piece]] = {}
    for piece in pieces:
        key = (piece.code, piece.title, piece.applicability, piece.edits, piece.why)
        grouped.setdefault(key, []).append(piece)
    out: list[Fix] = []
    for pieces in grouped.values():
        p = pieces[0]
        changes = tuple(sorted({q.change for q in pieces}))
        out.append(Fix(p.code, p.title, p.applicability, p.edits, changes, p.why))
    return out


def _edits(chosen: Sequence[Fix]) -> set[Edit]:
    return {e for f in chosen for e in f.edits}


def _conflict(chosen: Sequence[Fix]) -> bool:
    edits = _edits(chosen)
    for path in {e.path for e in edits}:
        if overlapping((e.start, e.end) for e in edits if e.path == path):
            return True
    changes = {c for f in chosen for c in f.changes}
    return any(
        overlapping((c.start, c.end) for c in changes if c.entry == entry)
        for entry in {c.entry for c in changes}
    )


def edited(sources: Mapping[str, str], edits: set[Edit]) -> dict[str, str]:
    """The new text of every file the edits touch (a grubenv keeps its size: see _padded)."""
    out: dict[str, str] = {}
    for path in sorted({e.path for e in edits}):
        spans = [(e.start, e.end, e.text) for e in edits if e.path == path]
        new = apply_spans(sources[path], spans)
        if path.rsplit("/", 1)[-1] == "grubenv":
            new = _padded(sources[path], new)
        out[path] = new
    return out


def _padded(before: str, after: str) -> str:
    """A grubenv is a fixed-size block padded with ``#`` (grub-core/lib/envblk.c; grub-editenv
    writes 1024 bytes): the edit's growth is taken from, or given back to, the padding (a fix
    that needs more than the padding is not proven: :func:`proves`)."""
    grow = _size(after) - _size(before)
    pad = len(after) - len(after.rstrip("#"))
    if grow > 0 and pad >= grow:
        return after[: len(after) - grow]
    if grow < 0:
        return after + "#" * -grow
    return after


def expected(targets: Sequence[Target], changes: set[Change]) -> list[str]:
    """Each entry's command line after the changes."""
    return [
        apply_spans(
            t.view.entry.cmdline, [(c.start, c.end, c.text) for c in changes if c.entry == t.index]
        )
        for t in targets
    ]


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


def _same(a: str, b: str) -> bool:
    return a.split() == b.split()


def proves(path: str, kind: str | None, targets: Sequence[Target], chosen: Sequence[Fix]) -> bool:
    """Whether the edited files, read again, give every entry the promised command line."""
    sources = targets[0].view.sources
    overlay = edited(sources, _edits(chosen))
    if any(_size(overlay[p]) != _size(sources[p]) for p in overlay if p.endswith("grubenv")):
        return False
    try:
        again: BootConfig = load_boot_config(Path(path), kind, overlay=overlay)
    except LintError:
        return False
    entries = _entries(again, targets)
    if entries is None:
        return False
    want = expected(targets, {c for f in chosen for c in f.changes})
    return all(_same(got, w) for got, w in zip(entries, want, strict=True))


def _entries(config: BootConfig, targets: Sequence[Target]) -> list[str] | None:
    """The re-read entries' command lines in the targets' order (entries keep their places)."""
    before = targets[0].view.config.entries
    if len(config.entries) != len(before):
        return None
    out: list[str] = []
    for t in targets:
        if t.view.entry not in before:
            return None
        again = config.entries[before.index(t.view.entry)]
        if (again.title, again.id) != (t.view.entry.title, t.view.entry.id):
            return None
        out.append(again.cmdline)
    return out


def plan(
    path: str,
    kind: str | None,
    targets: Sequence[Target],
    unsafe: bool,
    candidates: Sequence[Fix] | None = None,
) -> Outcome:
    """The fixes to apply to the configuration read from ``path`` (safe ones; unsafe ones too
    with ``unsafe``), each proven with the others already chosen. ``candidates``: these fixes
    instead of the ones the kinds find (advise's suggestion)."""
    if not targets:
        return Outcome((), (), {}, {})
    chosen: list[Fix] = []
    left: list[Fix] = []
    overlap: list[Fix] = []
    for fix in fixes(targets) if candidates is None else candidates:
        trial = [*chosen, fix]
        if fix.applicability != SAFE and not unsafe:
            left.append(fix)
        elif _conflict(trial):
            left.append(fix)
            overlap.append(fix)
        elif proves(path, kind, targets, trial):
            chosen.append(fix)
        else:
            left.append(fix)
    sources = targets[0].view.sources
    after = edited(sources, _edits(chosen))
    before = {p: sources[p] for p in after}
    return Outcome(tuple(chosen), tuple(left), before, after, tuple(overlap))
