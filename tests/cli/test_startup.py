"""Start-up: ``--help``, ``--version`` and a one-file boot lint import only what they use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: modules whose import costs more than the work of a small run, and what needs them
SLOW = (
    "importlib.metadata",  # rule entry points: only when a distribution declares some
    "yaml",  # YAML inventories, captures and config files
    "tabulate",  # the text report's tables
    "urllib.request",  # was pulled in by xml.sax.saxutils
    "jsonschema",
    "paramiko",
)

PROBE = """
import contextlib, io, json, sys
from memmap_lint.cli.main import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "loaded": [m for m in SLOW if m in sys.modules]}))
""".replace("SLOW", repr(SLOW))


def probe(cwd: Path, *args: str) -> dict[str, object]:
    p = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    assert p.returncode == 0, p.stderr
    result: dict[str, object] = json.loads(p.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["lint", "--help"]])
def test_the_parser_alone_loads_nothing_slow(tmp_path: Path, args: list[str]) -> None:
    assert probe(tmp_path, *args) == {"code": 0, "loaded": []}


@pytest.mark.parametrize("fmt", ["concise", "text"])
def test_a_boot_file_lint_loads_only_its_format(tmp_path: Path, fmt: str) -> None:
    grub = tmp_path / "grub"
    grub.write_text('GRUB_CMDLINE_LINUX="quiet memmap=4G$12G"\n')
    r = probe(tmp_path, "lint", str(grub), "--format", fmt)
    assert r["code"] == 1  # it ran and found something
    # tabulate (which imports importlib.metadata for its version) draws the text tables
    assert r["loaded"] == ([] if fmt == "concise" else ["importlib.metadata", "tabulate"])


def test_choices_written_out_agree_with_their_owners() -> None:
    from memmap_lint.bootconfig.loader import KINDS
    from memmap_lint.cli import common
    from memmap_lint.engine.findings import SEVERITIES
    from memmap_lint.kernel.model import DIALECTS

    assert common.BOOT_KINDS == KINDS
    assert common.SEVERITIES == SEVERITIES
    assert common.DIALECTS == DIALECTS


def test_entry_points_are_looked_up_when_a_distribution_may_declare_some(tmp_path: Path) -> None:
    """The quick check never hides a plugin: False here means importlib.metadata finds none."""
    from importlib.metadata import entry_points

    from memmap_lint.engine.registry import ENTRY_POINT_GROUP, may_declare_rules

    if not may_declare_rules():
        assert not list(entry_points(group=ENTRY_POINT_GROUP))
    dist = tmp_path / "site_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nx = site_rules\n")
    sys.path.insert(0, str(tmp_path))
    try:
        assert may_declare_rules()
    finally:
        sys.path.remove(str(tmp_path))


def test_building_the_parser_imports_no_implementation() -> None:
    """Only the command modules and what they share: no boot front end, kernel model, engine or
    report (their choices are written out in cli/common.py)."""
    code = (
        "import sys\nfrom memmap_lint.cli.main import build_parser\nbuild_parser()\n"
        "print(' '.join(m for m in sys.modules if m.startswith('memmap_lint.')))"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    loaded = p.stdout.split()
    heavy = ("bootconfig", "kernel", "engine", "report", "inventory", "captures", "rules")
    assert [m for m in loaded if m.split(".")[1] in heavy] == []
