"""``memmap-lint completion``: each script loaded into the real shell, which is then asked to
complete (bash's function called as ``complete -F`` calls it, fish's ``complete -C``, zsh's
registration through bashcompinit)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def script(shell: str, tmp_path: Path) -> Path:
    p = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "completion", shell],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    path = tmp_path / f"memmap-lint.{shell}"
    path.write_text(p.stdout)
    return path


def need(shell: str) -> str:
    found = shutil.which(shell)
    if found is None:
        pytest.skip(f"{shell} is not installed (.ci/install-shells.sh installs it)")
    return found


def bash_complete(path: Path, *words: str) -> list[str]:
    """What the bash function offers with the cursor at the end of ``words``."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in ("memmap-lint", *words))
    code = (
        f"source {path}\nCOMP_WORDS=({quoted})\nCOMP_CWORD={len(words)}\n"
        '_memmap_lint\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    p = subprocess.run(
        ["bash", "--norc", "-c", code], capture_output=True, text=True, timeout=60, cwd=path.parent
    )
    assert p.returncode == 0, p.stderr
    return [line for line in p.stdout.splitlines() if line]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (("si",), ["simulate"]),
        (("--for",), ["--format"]),  # lint's options without the command word
        (("lint", "--statis"), ["--statistics"]),
        (("lint", "--format", "con"), ["concise"]),
        (("--format", "sa"), ["sarif"]),
        (("simulate", "--dialect", ""), ["stock", "rfc", "mainline"]),
        (("completion", "--he"), ["--help"]),
        (("lint", "memmap-lint.b"), ["memmap-lint.bash"]),  # a path: the shell's files
    ],
)
def test_bash_completes_commands_options_choices_and_paths(
    tmp_path: Path, words: tuple[str, ...], expected: list[str]
) -> None:
    assert bash_complete(script("bash", tmp_path), *words) == expected


def test_every_option_of_every_command_is_offered(tmp_path: Path) -> None:
    from memmap_lint.cli.completion_scripts import options_of
    from memmap_lint.cli.main import build_parser

    path = script("bash", tmp_path)
    for command, spec in options_of(build_parser()).items():
        offered = set(bash_complete(path, *([command] if command else []), "-"))
        assert {f for o in spec.options for f in o.flags} <= offered, command


@pytest.mark.shells
def test_fish_completes_options_and_choices(tmp_path: Path) -> None:
    fish = need("fish")
    path = script("fish", tmp_path)

    def complete(line: str) -> list[str]:
        p = subprocess.run(
            [fish, "--no-config", "-c", f"source {path}; complete -C '{line}'"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert p.returncode == 0, p.stderr
        return [row.split("\t")[0] for row in p.stdout.splitlines()]

    assert "--statistics" in complete("memmap-lint --statis")
    assert complete("memmap-lint --format con") == ["concise"]
    assert "simulate" in complete("memmap-lint si")
    assert set(complete("memmap-lint simulate --dialect ")) == {"stock", "rfc", "mainline"}


@pytest.mark.shells
def test_zsh_registers_the_completion(tmp_path: Path) -> None:
    zsh = need("zsh")
    path = script("zsh", tmp_path)
    code = (
        f"autoload -U compinit && compinit -u -D; source {path}; print -r -- $_comps[memmap-lint]"
    )
    p = subprocess.run([zsh, "-f", "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "_memmap_lint" in p.stdout
