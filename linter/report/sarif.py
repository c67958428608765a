"""SARIF 2.1.0 as GitHub code scanning reads it."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

from memmap_lint import __version__
from memmap_lint.engine.baseline import fingerprinted
from memmap_lint.engine.findings import ERROR, INFO, WARNING, Finding
from memmap_lint.engine.results import HostResult
from memmap_lint.rule import DOC_SECTIONS, Rule

_LEVEL = {ERROR: "error", WARNING: "warning", INFO: "note"}


def _repo_relative(path: str) -> str:
    """``path`` as a URI reference relative to its git repository's root (else to the working
    directory), percent-encoded as SARIF's ``uri-reference`` format wants."""
    p = Path(path).resolve()
    for parent in (p.parent, *p.parent.parents):
        if (parent / ".git").exists():
            return quote(p.relative_to(parent).as_posix())
    try:
        return quote(Path(os.path.relpath(p)).as_posix())
    except ValueError:
        return quote(p.as_posix())


def _sections(doc: str) -> tuple[str, dict[str, str]]:
    """The headline of a rule doc and its four sections, each dedented (so that Markdown does
    not take the section bodies for indented code blocks)."""
    head: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] = head
    for line in doc.splitlines():
        title = line.strip().rstrip(":")
        if title in DOC_SECTIONS and line.strip().endswith(":"):
            current = sections.setdefault(title, [])
            continue
        current.append(line)
    headline = " ".join(" ".join(head).split())
    return headline, {t: textwrap.dedent("\n".join(b)).strip() for t, b in sections.items()}


def _rule_json(rule: Rule) -> dict[str, object]:
    headline, sections = _sections(rule.doc)
    short = headline or rule.summary
    full = " ".join(sections.get("Why it matters", "").split())
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full or rule.summary or short},
        "help": {"text": rule.doc, "markdown": _markdown(rule, headline, sections)},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["memmap", rule.scope]},
    }


def _markdown(rule: Rule, headline: str, sections: dict[str, str]) -> str:
    parts = [f"**{rule.code} {rule.name}** ({rule.severity})"]
    if headline:
        parts.append(headline)
    for title in DOC_SECTIONS:
        body = sections.get(title)
        if body:
            parts.append(f"### {title}\n\n{body}")
    return "\n\n".join(parts)


def _result(f: Finding, index: dict[str, int], fp: str) -> dict[str, object]:
    message = f"{f.host}: {f.message}"
    out: dict[str, object] = {
        "ruleId": f.code,
        "level": _LEVEL[f.severity],
        "message": {"text": message},
        "partialFingerprints": {"memmapLint/v1": fp},
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


def _results(results: Sequence[HostResult], index: dict[str, int]) -> list[dict[str, object]]:
    findings = (f for r in results for f in r.findings)
    return [_result(f, index, fp) for f, fp in fingerprinted(findings)]


def report_sarif(results: Sequence[HostResult], rules: Sequence[Rule]) -> dict[str, object]:
    """The SARIF log: one run, every selected rule, one result per finding."""
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
                "results": _results(results, index),
            }
        ],
    }


def render_sarif(results: Sequence[HostResult], rules: Sequence[Rule]) -> Iterable[str]:
    """The SARIF log as text."""
    yield json.dumps(report_sarif(results, rules), indent=2) + "\n"
