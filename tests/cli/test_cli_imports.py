"""The command line loads only what the command needs: ``--help``, ``--version`` and a boot-file
lint import neither paramiko nor jsonschema (checked in a fresh interpreter each time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("paramiko", "jsonschema")

PROBE = """
import contextlib, io, json, sys
from memmap_lint.cli.main import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "out": out.getvalue(),
                  "loaded": [m for m in HEAVY if m in sys.modules]}))
""".replace("HEAVY", repr(HEAVY))


def probe(*args: str) -> dict[str, object]:
    p = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 0, p.stderr
    result: dict[str, object] = json.loads(p.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        *([c, "--help"] for c in ("lint", "simulate", "collect", "verify", "advise", "rules")),
    ],
)
def test_building_the_parser_loads_no_heavy_module(args: list[str]) -> None:
    r = probe(*args)
    assert r["code"] == 0
    assert "memmap-lint" in str(r["out"]) or "usage" in str(r["out"])
    assert r["loaded"] == []


def test_a_boot_file_lint_loads_no_heavy_module(tmp_path: Path) -> None:
    grub = tmp_path / "grub"
    grub.write_text('GRUB_CMDLINE_LINUX="quiet memmap=4G$12G"\n')
    r = probe("lint", str(grub), "--format", "json")
    assert r["code"] == 1  # the lint ran and found something
    assert json.loads(str(r["out"]))["hosts"], r["out"]
    assert r["loaded"] == []


def test_python_dash_m_package_runs_the_command_line() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli", "--version"],
        capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 0 and p.stdout.startswith("memmap-lint "), p
