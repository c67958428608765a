"""Run one rule case through the real pipeline: for our cases and for people who write rules.

A case is a mapping (the shape of ``tests/rules/cases/*.yaml``)::

    {"cmdline": "memmap=12M*4096:oops", "e820": "e820/qemu-q35-32g.txt",
     "kernel": "6.1.0-28-amd64", "features": [], "dialect": None, "facts": {},
     "options": {"MM305": {"share": 0.5}}}

or ``boot`` (a boot file path, or ``{"text": ..., "kind": ...}``) with an optional ``companion``
instead of ``cmdline``, or ``hosts`` (a list of such mappings, each with a ``name``) for a fleet.
``capture`` may hold an already loaded :class:`~memmap_lint.captures.parse.Capture` instead of
``e820``. Paths are relative to ``base``.

:func:`lint_case` resolves each host with ``engine.hostinput.build``, runs the rules and the
post-processing with ``engine.pipeline.check``, as ``memmap-lint`` does, and groups what several
entries of one boot file share as the report shows it. :func:`where` says where a finding points:
``path:line:col`` for a file (relative to ``base``), ``@OFFSET`` for a character of a command line
(``NAME@OFFSET`` in a fleet), the host's name alone when it points at no character.

Example (pytest)::

    from memmap_lint.testing import lint_case, where

    def test_my_rule():
        found = lint_case({"cmdline": "memmap=4GG"}, select=["MM109"])
        assert [(f.code, where(f)) for f in found] == [("MM109", "@7")]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from memmap_lint.bootconfig import load_boot_config, parse_boot_text
from memmap_lint.captures.parse import Capture, capture_digest, load_capture
from memmap_lint.engine.bootlint import read_sources, views
from memmap_lint.engine.config import Config, parse_config
from memmap_lint.engine.findings import Finding, Location
from memmap_lint.engine.hostinput import HostInput, Locator, Sources, boot_locator, build
from memmap_lint.engine.lint import Linter
from memmap_lint.engine.pipeline import check
from memmap_lint.engine.postprocess import grouped
from memmap_lint.engine.registry import load_rules, superseding
from memmap_lint.engine.registry import select as select_rules
from memmap_lint.inventory.model import Host
from memmap_lint.inventory.yamlpos import Pos
from memmap_lint.rule import Rule

__all__ = ["CMDLINE", "lint_case", "where"]

#: The path of the locations of a command line that is in no file (column = offset + 1).
CMDLINE = "<cmdline>"


def _cmdline_locator(name: str) -> Locator:
    def locate(offset: int | None) -> Location | None:
        if offset is None:
            return Location(name)
        return Location(CMDLINE, 1, offset + 1)

    return locate


def _capture(case: Mapping[str, Any], base: Path) -> tuple[Capture | None, str | None]:
    cap = case.get("capture")
    if cap is None and case.get("e820"):
        cap = load_capture(base / str(case["e820"]))
    return (cap, capture_digest(cap)) if cap is not None else (None, None)


def _inputs(case: Mapping[str, Any], name: str, base: Path) -> list[HostInput]:
    """The hosts of one case: one, or one per boot entry."""
    capture, digest = _capture(case, base)
    kernel = (case.get("kernel"), tuple(case.get("features") or ()), case.get("dialect"))
    facts = dict(case.get("facts") or {})
    host = Host(name, {}, (), Pos(name, 1, 1))
    spec = case.get("boot")
    if spec is None:
        text = str(case.get("cmdline", ""))
        src = Sources(host, text, _cmdline_locator(name), *kernel, capture, digest, facts)
        return [build(src)]
    if isinstance(spec, Mapping):
        label = str(spec.get("path", "<inline>"))
        config = parse_boot_text(str(spec["text"]), str(spec["kind"]), label)
        sources = {label: str(spec["text"])}
        companion = None
    else:
        label = str(base / str(spec))
        config = load_boot_config(Path(label))
        companion = load_boot_config(base / case["companion"]) if case.get("companion") else None
        sources = read_sources(config, [companion] if companion else [])
    out: list[HostInput] = []
    for view in views(config, sources, companion):
        entry = Host(f"{name}#{view.entry.title}", {}, (), Pos(label, 1, 1))
        src = Sources(
            entry,
            view.entry.cmdline,
            boot_locator(view, label),
            *kernel,
            capture,
            digest,
            facts,
            view,
        )
        out.append(build(src))
    return out


def lint_case(
    case: Mapping[str, Any],
    rules: Sequence[Rule] | None = None,
    select: Sequence[str] = (),
    base: Path | str = ".",
    config: Config | None = None,
) -> list[Finding]:
    """The findings of ``case`` as ``memmap-lint`` reports them, in report order.

    ``rules``: the rules to run (default: every installed rule); ``select``: codes, prefixes or
    slugs among them. ``config``: settings (default: the case's ``options``, rule code ->
    option -> value, and ``thresholds``, as a config file writes them).
    """
    root = Path(base)
    every = list(rules) if rules is not None else load_rules()
    chosen = select_rules(every, select, [])
    extra = superseding(every, chosen)
    settings = config or parse_config(
        {"rules": case.get("options") or {}, "thresholds": case.get("thresholds") or {}}, "<case>"
    )
    linter = Linter([*chosen, *extra], settings, hidden=frozenset(r.code for r in extra))
    hosts = case.get("hosts")
    groups: list[list[HostInput]]
    if hosts is not None:
        groups = [[i for h in hosts for i in _inputs(h, str(h["name"]), root)]]
    else:
        groups = [_inputs(case, str(case.get("name", "host")), root)]
    found: list[Finding] = []
    for inputs in groups:
        for result in grouped(inputs, check(linter, inputs)):
            found.extend(result.findings)
    return found


def where(f: Finding, base: Path | str = ".", fleet: bool = False) -> str:
    """Where ``f`` points: ``path:line:col`` (path relative to ``base`` when under it),
    ``@OFFSET`` in a command line (``HOST@OFFSET`` when ``fleet``), or the host's name."""
    loc = f.location
    prefix = f.host if fleet else ""
    if loc is None:
        return f.host
    if loc.path == CMDLINE and loc.column is not None:
        return f"{prefix}@{loc.column - 1}"
    if loc.line is None:
        return loc.path
    path = Path(loc.path)
    try:
        shown = path.relative_to(Path(base)).as_posix() if path.is_absolute() else loc.path
    except ValueError:
        shown = loc.path
    return f"{shown}:{loc.line}:{loc.column}"
