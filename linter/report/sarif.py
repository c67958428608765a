"""SARIF 2.1.0 as GitHub code scanning reads it."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from .. import __version__
from ..findings import ERROR, INFO, WARNING, Finding
from ..results import HostResult
from ..rule import Rule

_LEVEL = {ERROR: "error", WARNING: "warning", INFO: "note"}


def _repo_relative(path: str) -> str:
    """``path`` relative to its git repository's root (else to the working directory)."""
    p = Path(path).resolve()
    for parent in (p.parent, *p.parent.parents):
        if (parent / ".git").exists():
            return p.relative_to(parent).as_posix()
    try:
        return Path(os.path.relpath(p)).as_posix()
    except ValueError:
        return p.as_posix()


def fingerprint(f: Finding) -> str:
    """Stable across unrelated edits: host, code and the parameter as written."""
    return hashlib.sha256(f"{f.host}\0{f.code}\0{f.param}".encode()).hexdigest()[:32]


def _rule_json(rule: Rule) -> dict[str, object]:
    full = " ".join(rule.section("Why it matters").split())
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full or rule.summary},
        "help": {"text": rule.doc, "markdown": _markdown(rule)},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["memmap"]},
    }


def _markdown(rule: Rule) -> str:
    parts = [f"**{rule.code} {rule.name}**"]
    for title in ("What it finds", "Why it matters", "Example", "How to fix"):
        body = rule.section(title)
        if body:
            parts.append(f"### {title}\n\n{body}")
    return "\n\n".join(parts)


def _result(f: Finding, index: dict[str, int]) -> dict[str, object]:
    message = f"{f.host}: {f.message}"
    out: dict[str, object] = {
        "ruleId": f.code,
        "level": _LEVEL[f.severity],
        "message": {"text": message},
        "partialFingerprints": {"memmapLint/v1": fingerprint(f)},
        "properties": {"host": f.host, "parameter": f.param},
    }
    if f.code in index:
        out["ruleIndex"] = index[f.code]
    if f.location:
        region: dict[str, int] = {"startLine": f.location.line or 1}
        if f.location.column:
            region["startColumn"] = f.location.column
        out["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _repo_relative(f.location.path)},
                    "region": region,
                }
            }
        ]
    return out


def report_sarif(results: Sequence[HostResult], rules: Sequence[Rule]) -> dict[str, object]:
    index = {r.code: i for i, r in enumerate(rules)}
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "memmap-lint",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/memmap-lint/",
                        "rules": [_rule_json(r) for r in rules],
                    }
                },
                "results": [_result(f, index) for r in results for f in r.findings],
            }
        ],
    }


def render_sarif(results: Sequence[HostResult], rules: Sequence[Rule]) -> Iterable[str]:
    yield json.dumps(report_sarif(results, rules), indent=2) + "\n"
