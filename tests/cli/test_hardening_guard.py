"""An unexpected exception is exit 2 with one line (a bug, the input, where to report), never a
traceback and never exit 1; ``--debug`` adds the trace."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

import pytest
from memmap_lint.cli.guard import guarded
from memmap_lint.cli.main import main


@guarded
def _crashing(argv: Sequence[str] | None = None) -> int:
    depth = lambda n: depth(n + 1)  # noqa: E731 - a real RecursionError, as deep input made one
    return int(depth(0))


def test_bug_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert _crashing(["inv\n.yaml", "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "internal error (a bug in memmap-lint" in err and "RecursionError" in err
    assert "memmap-lint 'inv\\n.yaml' --format json" in err
    assert "report it" in err


def test_debug_shows_the_trace(capsys: pytest.CaptureFixture[str]) -> None:
    assert _crashing(["--debug", "inv.yaml"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().splitlines()[-1].startswith("memmap-lint: internal")
    assert "--debug" not in err.rstrip().splitlines()[-1].split("input:")[1].split(";")[0]


def test_main_is_guarded_and_debug_is_not_an_argument(tmp_path: object) -> None:
    assert getattr(main, "__wrapped__", None) is not None
    proc = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "--debug", "rules"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0 and "MM301" in proc.stdout, proc.stderr
