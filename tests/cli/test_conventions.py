"""A linter's everyday conventions, end to end in a real process: the concise format and the
default format per kind of input, ``-`` for stdin, ``--quiet``, ``--statistics``, baselines."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
GRUB = 'GRUB_CMDLINE_LINUX="quiet memmap=4G$12G"\n'
CONCISE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>MM\d{3}) .+ \[.+\]$")


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        timeout=300,
    )


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A copy of the shipped example fleet (its captures beside it)."""
    shutil.copytree(ROOT / "inventory", tmp_path / "inventory")
    return tmp_path


def findings(cwd: Path, *args: str, stdin: str | None = None) -> list[dict[str, object]]:
    p = run(*args, "--format", "json", cwd=cwd, stdin=stdin)
    assert p.returncode in (0, 1), p.stderr
    out: list[dict[str, object]] = json.loads(p.stdout)["findings"]
    return out


def test_concise_is_one_located_line_per_finding(fleet: Path) -> None:
    p = run("inventory/prod.yaml", "--format", "concise", cwd=fleet)
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    expected = findings(fleet, "inventory/prod.yaml")
    assert len(lines) == len(expected)
    for line, f in zip(lines, expected, strict=True):
        m = CONCISE.match(line)
        assert m, line
        assert (m["path"], int(m["line"]), int(m["col"]), m["code"]) == (
            f["path"],
            f["line"],
            f["column"],
            f["code"],
        )
        assert line.endswith(f" [{f['host']}]")


def test_the_default_format_is_concise_for_boot_files_and_text_for_inventories(
    fleet: Path,
) -> None:
    (fleet / "grub").write_text(GRUB)
    boot = run("grub", cwd=fleet)
    assert boot.returncode == 1
    assert boot.stdout and all(CONCISE.match(line) for line in boot.stdout.splitlines())
    assert boot.stdout.startswith("grub:1:")
    inv = run("inventory/prod.yaml", cwd=fleet)
    assert inv.returncode == 1
    assert "severity" in inv.stdout and "15 host(s)" in inv.stdout


def test_dash_reads_an_inventory_from_stdin(fleet: Path) -> None:
    """The same findings at the same lines; captures are found from the current directory."""
    text = (fleet / "inventory" / "prod.yaml").read_text()
    from_file = findings(fleet / "inventory", "prod.yaml")
    from_stdin = findings(fleet / "inventory", "-", stdin=text)
    assert from_stdin and all(f["path"] == "-" for f in from_stdin if f["path"])
    strip = [{k: v for k, v in f.items() if k != "path"} for f in from_file]
    assert [{k: v for k, v in f.items() if k != "path"} for f in from_stdin] == strip


@pytest.mark.parametrize("kind", [None, "grub-default"])
def test_dash_reads_a_boot_file_from_stdin(tmp_path: Path, kind: str | None) -> None:
    """The same findings as from the file, at the same line:col."""
    args = ["-"] + (["--kind", kind] if kind else [])
    p = run(*args, cwd=tmp_path, stdin=GRUB)
    assert p.returncode == 1, p.stderr
    assert p.stdout.startswith("-:1:") and "memmap=4G2G" in p.stdout
    (tmp_path / "grub").write_text(GRUB)
    from_file = run("grub", *args[1:], cwd=tmp_path).stdout

    def where(out: str) -> list[tuple[str, str, str]]:
        return [(m["line"], m["col"], m["code"]) for m in map(CONCISE.match, out.splitlines()) if m]

    assert where(p.stdout) == where(from_file) != []


def test_dash_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    p = run("-", "-", cwd=tmp_path, stdin=GRUB)
    assert p.returncode == 2 and "MM001" in p.stderr and "Traceback" not in p.stderr
    p = run("-", "--fix", cwd=tmp_path, stdin=GRUB)
    assert p.returncode == 2 and "MM001" in p.stderr and "Traceback" not in p.stderr


def test_quiet_prints_nothing_and_keeps_the_exit_status(fleet: Path) -> None:
    p = run("inventory/prod.yaml", "-q", cwd=fleet)
    assert (p.returncode, p.stdout) == (1, "")
    clean = run("inventory/prod.yaml", "--quiet", "--hosts", "nosuchhost*", cwd=fleet)
    assert clean.stdout == ""
    out = fleet / "r.json"
    p = run("inventory/prod.yaml", "-q", "--format", "json", "--output", str(out), cwd=fleet)
    assert p.returncode == 1 and p.stdout == "" and json.loads(out.read_text())["findings"]


def test_statistics_count_the_findings_per_code(fleet: Path) -> None:
    p = run("inventory/prod.yaml", "--statistics", cwd=fleet)
    assert p.returncode == 1, p.stderr
    got = {}
    for line in p.stdout.splitlines():
        count, code, _name, _severity = line.split()
        got[code] = int(count)
    assert got == Counter(str(f["code"]) for f in findings(fleet, "inventory/prod.yaml"))
    counts = list(got.values())
    assert counts == sorted(counts, reverse=True)


def test_a_baseline_fails_only_on_new_findings(fleet: Path) -> None:
    inv = fleet / "inventory" / "prod.yaml"
    base = fleet / "baseline.json"
    p = run(str(inv), "--write-baseline", str(base), cwd=fleet)
    assert p.returncode == 0, p.stderr
    total = len(findings(fleet, str(inv)))
    assert f"{total} finding(s) recorded" in p.stderr
    assert len(json.loads(base.read_text())["findings"]) == total
    assert run(str(inv), "--baseline", str(base), "-q", cwd=fleet).returncode == 0
    # the report's "clean" hosts say nothing of what the baseline hid: stderr does
    p = run(str(inv), "--baseline", str(base), cwd=fleet)
    assert p.returncode == 0 and f"{total} finding(s) of {base} not reported" in p.stderr
    # lines moved (a comment block on top, blank lines): the fingerprints hold
    text = inv.read_text()
    inv.write_text("# moved\n# down\n\n" + text.replace("\n  children:", "\n\n  children:", 1))
    assert run(str(inv), "--baseline", str(base), "-q", cwd=fleet).returncode == 0
    # a new parameter is a new finding, and the only one reported
    new = text.replace("memmap=12M*4096:trace", "memmap=12M*4096:trace memmap=4G", 1)
    assert new != text
    inv.write_text(new)
    after = findings(fleet, str(inv), "--baseline", str(base))
    assert after and len(after) < total
    assert all("memmap=4G" in str(f["param"]) or "4G" in str(f["message"]) for f in after)


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("{not json", "baseline.json:1:2: MM001 invalid baseline"),
        ('{"schema": "other"}', "baseline.json:1:1: MM001 not a baseline"),
        (b'{"schema": "caf\xe9"}', "baseline.json:1:16: MM001 cannot read baseline: not UTF-8"),
    ],
)
def test_a_bad_baseline_is_one_located_error(fleet: Path, content: str | bytes, where: str) -> None:
    data = content if isinstance(content, bytes) else content.encode()
    (fleet / "baseline.json").write_bytes(data)
    p = run("inventory/prod.yaml", "--baseline", "baseline.json", cwd=fleet)
    assert p.returncode == 2
    assert p.stderr.startswith(where) and "Traceback" not in p.stderr


def test_a_baseline_is_read_with_a_cap(fleet: Path) -> None:
    """``--baseline /dev/zero`` read until memory ran out; it is bounded as an inventory is."""
    p = run("inventory/prod.yaml", "--baseline", "/dev/zero", "-q", cwd=fleet)
    assert p.returncode == 2
    assert p.stderr.startswith("/dev/zero: MM001 cannot read baseline: larger than the inventory")


def test_dash_on_a_terminal_is_an_error_at_once(tmp_path: Path) -> None:
    """`-` with a terminal on stdin: nothing is piped in, so say so instead of waiting."""
    import pty
    import time

    main, tty = pty.openpty()
    try:
        t0 = time.monotonic()
        p = subprocess.run(
            [sys.executable, "-m", "memmap_lint.cli.main", "-"],
            stdin=tty,
            capture_output=True,
            text=True,
            timeout=60,
        )
        elapsed = time.monotonic() - t0
    finally:
        os.close(main)
        os.close(tty)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "MM001 '-' reads standard input, which is a terminal" in p.stderr
    assert elapsed < 8  # the FIFO/device timeout is 10 s: this must not be it
