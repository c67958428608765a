"""Baselines: the findings a fleet already has, so that a run fails only on new ones.

A finding is known by a fingerprint that survives unrelated edits, the one SARIF reports as
``partialFingerprints``: its host, code, the parameter as written, and which of the identical
(host, code, parameter) findings it is. Line and column play no part, so moving or reformatting
lines keeps a baseline valid; changing the parameter makes it a new finding.

The file (``--write-baseline``) is JSON: ``{"schema": "memmap-lint/baseline/v1", "findings":
[{"fingerprint", "host", "code", "param"}, ...]}`` sorted by fingerprint, so that it diffs well;
``--baseline`` reads only the fingerprints.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from memmap_lint.engine.findings import Finding
from memmap_lint.engine.results import HostResult
from memmap_lint.errors import LintError
from memmap_lint.fileio import read_text

SCHEMA = "memmap-lint/baseline/v1"


def fingerprint(f: Finding, occurrence: int = 0) -> str:
    """Stable across unrelated edits: host, code, the parameter as written, and which of the
    identical (host, code, parameter) findings this is (line numbers play no part)."""
    key = f"{f.host}\0{f.code}\0{f.param}\0{occurrence}"
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def fingerprinted(
    findings: Iterable[Finding], seen: dict[tuple[str, str, str], int] | None = None
) -> Iterator[tuple[Finding, str]]:
    """Each finding with its fingerprint: identical findings numbered in the order given,
    continuing the count in ``seen`` when several calls make one run."""
    seen = {} if seen is None else seen
    for f in findings:
        key = (f.host, f.code, f.param)
        n = seen.get(key, 0)
        seen[key] = n + 1
        yield f, fingerprint(f, n)


def baseline_text(results: Sequence[HostResult]) -> str:
    """The baseline file of every finding of ``results``."""
    entries = [
        {"fingerprint": fp, "host": f.host, "code": f.code, "param": f.param}
        for f, fp in fingerprinted(f for r in results for f in r.findings)
    ]
    entries.sort(key=lambda e: e["fingerprint"])
    return json.dumps({"schema": SCHEMA, "findings": entries}, indent=1, ensure_ascii=False) + "\n"


def load_baseline(path: str) -> frozenset[str]:
    """The fingerprints of baseline file ``path`` (MM001 with line:col when it is not one)."""
    try:  # bounded as inventories are (a baseline grows with the fleet); no hang on a FIFO
        text = read_text(path, "inventory", "MM001")
    except LintError as exc:
        why = exc.message.removeprefix("cannot read: ")
        raise LintError(
            "MM001", f"cannot read baseline: {why}", path, exc.line, exc.column
        ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"invalid baseline: {exc.msg}"
        raise LintError("MM001", msg, path, exc.lineno, exc.colno) from exc
    except (ValueError, RecursionError) as exc:
        raise LintError("MM001", f"invalid baseline: {exc}", path) from exc
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise LintError("MM001", f"not a baseline (schema {SCHEMA!r} expected)", path, 1, 1)
    entries = doc.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise LintError("MM001", "invalid baseline: 'findings' must list fingerprints", path)
    return frozenset(e["fingerprint"] for e in entries)


def apply_baseline(
    results: Sequence[HostResult], known: frozenset[str]
) -> tuple[list[HostResult], int]:
    """``results`` without the findings of the baseline, and how many were left out."""
    out: list[HostResult] = []
    dropped = 0
    seen: dict[tuple[str, str, str], int] = {}
    for r in results:
        kept = []
        for f, fp in fingerprinted(r.findings, seen):
            if fp in known:
                dropped += 1
            else:
                kept.append(f)
        out.append(r if len(kept) == len(r.findings) else replace(r, findings=tuple(kept)))
    return out, dropped
