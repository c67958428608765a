"""The pre-commit hook, run by the real ``pre-commit`` (PyPI) on a scratch git repository.

The scratch repository's ``.pre-commit-config.yaml`` points at a git copy of this working tree
(local path, its commit), so pre-commit installs memmap-lint with ``language: python`` exactly as
users get it (its dependencies come from PyPI). Expectations: GRUB util/grub-mkconfig.in run by dash (an unescaped ``$`` in
/etc/default/grub reaches the kernel as ``memmap=4G2G``; three backslashes inside double quotes
are right), checked with the real dash in tests/fixtures/bootlint.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.precommit

ROOT = Path(__file__).resolve().parents[2]
BAD = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="memmap=4G$12G"\n'
GOOD = (
    'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="memmap=4G\\\\\\$12G"\n'
)


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def _pre_commit() -> list[str]:
    exe = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which(
        "pre-commit"
    )
    if exe is None:
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    return [exe]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding this working tree's files (tracked and new), one commit."""
    repo = tmp_path_factory.mktemp("hook-repo")
    files = _git(
        ROOT,
        "ls-files",
        "-co",
        "--exclude-standard",
        "--",
        "pyproject.toml",
        "README.md",
        ".pre-commit-hooks.yaml",
        "linter",
        "rules",
        "ansible_collections",
    ).splitlines()
    for name in files:
        src = ROOT / name
        if src.is_file():
            dst = repo / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "memmap-lint")
    return repo, _git(repo, "rev-parse", "HEAD")


def _run(
    tmp_path: Path, hook: tuple[Path, str], grub: str, files: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    repo, rev = hook
    work = tmp_path / "config-repo"
    for name, text in {"etc/default/grub": grub, **(files or {})}.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n  - id: memmap-lint\n"
    )
    _git(work, "init", "-q")
    _git(work, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path.parent / "pre-commit-home")}
    return subprocess.run(
        [*_pre_commit(), "run", "--all-files", "--color", "never"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_unescaped_dollar_is_refused(tmp_path: Path, hook_repo: tuple[Path, str]) -> None:
    result = _run(tmp_path, hook_repo, BAD)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "memmap-lint (boot files)" in out and "Failed" in out, out
    assert "MM501" in out, out
    assert "etc/default/grub:3:21" in out, out  # the memmap= word in the file
    assert "memmap=4G2G" in out, out  # what the kernel receives (sh ate $1)
    assert "\\\\\\$" in out, out  # the escaping this file needs


def test_escaped_dollar_passes(tmp_path: Path, hook_repo: tuple[Path, str]) -> None:
    result = _run(tmp_path, hook_repo, GOOD)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "memmap-lint (boot files)" in out and "Passed" in out, out


def test_hook_defaults_need_no_ignores(tmp_path: Path, hook_repo: tuple[Path, str]) -> None:
    # The hook carries no --ignore: no map (MM602) and no known kernel (MM605) are infos, and the
    # RFC wildcard, correct on an RFC kernel, is only conditionally wrong elsewhere (MM105 info).
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "--ignore" not in hooks
    cmdline = {"etc/kernel/cmdline": "memmap=12M*4096:oops ramoops.mem_name=oops\n"}
    result = _run(tmp_path, hook_repo, GOOD, cmdline)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "Passed" in out, out


def test_duplicate_reserve_mem_name_fails_on_unknown_kernel(
    tmp_path: Path, hook_repo: tuple[Path, str]
) -> None:
    # mm/memblock.c reserve_mem(): a second region with a taken name gets -EBUSY (6.11+): it
    # holds on the only kernel that has reserve_mem=, so the unknown-kernel hook reports it.
    line = "reserve_mem=12M:4096:oops ramoops.mem_name=oops reserve_mem=4M:4096:oops\n"
    result = _run(tmp_path, hook_repo, GOOD, {"etc/kernel/cmdline": line})
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "MM203" in out and "on 6.11 or later" in out, out
