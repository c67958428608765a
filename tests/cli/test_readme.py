"""The README's code blocks are true: every ``memmap-lint`` command of its ```sh blocks parses
(each command and option exists), and every one that needs no SSH runs against the shipped
inventory (a copy, with the files the examples name) with exit status 0 or 1 and no traceback.
The pre-commit ``rev:`` it shows is a commit of this repository that has the hooks file."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: commands that talk to hosts over SSH: checked by the parser only (tests/test_collect_*.py and
#: test_verify_* run them against real sshd)
NETWORK = {"collect", "verify"}


def commands() -> list[tuple[int, list[str]]]:
    """(README line, argv after ``memmap-lint``) of every memmap-lint command in ```sh blocks."""
    found = []
    for block in re.finditer(r"```sh\n(.*?)```", README, re.S):
        first = README[: block.start()].count("\n") + 2
        for n, line in enumerate(block.group(1).splitlines()):
            words = shlex.split(line, comments=True)
            command: list[str] = []
            for word in [*words, "&&"]:
                if word in ("&&", "||", ";", "<", "|"):
                    if command and Path(command[0]).name == "memmap-lint":
                        found.append((first + n, command[1:]))
                    command = [] if word != "<" else ["<"]
                elif command[:1] != ["<"]:
                    command.append(word)
    return found


COMMANDS = commands()


def test_the_readme_shows_commands() -> None:
    assert len(COMMANDS) >= 10


def _argv(args: list[str]) -> list[str]:
    from memmap_lint.cli.main import COMMANDS as NAMES

    if args and args[0] not in (*NAMES, "-h", "--help", "--version"):
        return ["lint", *args]  # `memmap-lint [lint] PATH...`, as main() reads it
    return args


@pytest.mark.parametrize(("line", "args"), COMMANDS, ids=[f"line{n}" for n, _ in COMMANDS])
def test_every_command_and_option_exists(line: int, args: list[str]) -> None:
    from memmap_lint.cli.main import build_parser

    try:
        build_parser().parse_args(_argv(args))
    except SystemExit as exc:
        pytest.fail(f"README.md:{line}: memmap-lint {shlex.join(args)}: not accepted ({exc})")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped inventory and the files the README's examples name."""
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "inventory", root / "inventory")
    capture = sorted((ROOT / "inventory" / "captures").iterdir())[0]
    shutil.copy(capture, root / "capture.txt")
    grub = ROOT / "tests" / "fixtures" / "bootlint" / "good" / "etc" / "default" / "grub"
    (root / "etc" / "default").mkdir(parents=True)
    shutil.copy(grub, root / "etc" / "default" / "grub")
    # an empty baseline, so that `--baseline` runs on its own too (`--write-baseline` fills it)
    (root / "baseline.json").write_text('{"schema": "memmap-lint/baseline/v1", "findings": []}')
    return root


LOCAL = [(n, a) for n, a in COMMANDS if not (set(_argv(a)[:1]) & NETWORK) and "--collect" not in a]


@pytest.mark.parametrize(("line", "args"), LOCAL, ids=[f"line{n}" for n, _ in LOCAL])
def test_every_local_command_runs(sandbox: Path, line: int, args: list[str]) -> None:
    stdin = None
    if args[:1] == ["-"]:  # `memmap-lint - ... < FILE`: the file the line redirects
        redirect = re.search(r"<\s*(\S+)", README.splitlines()[line - 1])
        assert redirect, line
        stdin = (sandbox / redirect.group(1)).read_bytes()
    p = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", *args],
        capture_output=True,
        cwd=sandbox,
        input=stdin,
        timeout=600,
    )
    err = p.stderr.decode(errors="replace")
    assert p.returncode in (0, 1), f"README.md:{line}: exit {p.returncode}\n{err}"
    assert "Traceback" not in err, err


def test_the_pre_commit_rev_is_a_commit_with_the_hooks() -> None:
    revs = re.findall(r"^\s*rev:\s*(\S+)", README, re.M)
    assert revs, "README shows no pre-commit rev"
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for rev in revs:
        p = subprocess.run(
            ["git", "-C", str(ROOT), "cat-file", "-e", f"{rev}:.pre-commit-hooks.yaml"],
            capture_output=True,
            timeout=60,
        )
        assert p.returncode == 0, f"rev {rev} is not a commit of this repository with the hooks"
