"""The conftest rule: a skipped test of a real tool is a skip on a developer's machine and a
failure when ``MEMMAP_LINT_REQUIRE_TOOLS=1`` (as ``.ci/run`` sets it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLE = """
import pytest

@pytest.mark.sshd
def test_needs_sshd():
    pytest.skip("no sshd here")

@pytest.mark.browser
@pytest.mark.skipif(True, reason="no chromium here")
def test_needs_chromium():
    pass

def test_plain_skip():
    pytest.skip("not a tool")
"""


def run(tmp_path: Path, require: bool) -> subprocess.CompletedProcess[str]:
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {k: v for k, v in os.environ.items() if k != "MEMMAP_LINT_REQUIRE_TOOLS"}
    if require:
        env["MEMMAP_LINT_REQUIRE_TOOLS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )  # fmt: skip


def test_a_missing_tool_skips_with_its_reason(tmp_path: Path) -> None:
    p = run(tmp_path, require=False)
    assert p.returncode == 0, p.stdout
    assert "3 skipped" in p.stdout and "no sshd here" in p.stdout and "no chromium here" in p.stdout


def test_a_missing_tool_fails_when_tools_are_required(tmp_path: Path) -> None:
    p = run(tmp_path, require=True)
    assert p.returncode == 1, p.stdout
    assert "1 failed" in p.stdout and "1 skipped" in p.stdout and "1 error" in p.stdout, p.stdout
    assert (
        "MEMMAP_LINT_REQUIRE_TOOLS=1, and this test of sshd was skipped: no sshd here" in p.stdout
    )
    assert "of browser was skipped: no chromium here" in p.stdout
