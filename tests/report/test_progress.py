"""The progress line (issue 8 item 4): on a terminal for runs over a second, never on a pipe.

Terminals are real pseudo-terminals (``pty.openpty``); the CLI runs as a real process.
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from memmap_lint.report.progress import Progress

E820 = Path(__file__).parent.parent / "fixtures" / "e820"


def _drain(fd: int, timeout: float = 0.5) -> bytes:
    out = b""
    while select.select([fd], [], [], timeout)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other side closed (Linux: EIO)
            break
        if not chunk:
            break
        out += chunk
    return out


def test_draws_counts_rate_and_time_left_on_a_terminal_then_erases() -> None:
    master, slave = pty.openpty()
    with os.fdopen(slave, "w", encoding="utf-8") as tty:
        p = Progress(tty, delay=0.0)
        assert p.enabled
        p.stage("linting", 40)
        time.sleep(0.15)
        for _ in range(9):
            p.advance()
        time.sleep(0.15)  # redrawn at most ten times a second
        p.advance()
        p.close()
        text = _drain(master).decode()
    os.close(master)
    assert "memmap-lint: linting [" in text
    assert "10/40 hosts" in text
    assert "/s" in text and "left" in text
    assert text.endswith("\r\x1b[K")


def test_silent_before_the_delay() -> None:
    master, slave = pty.openpty()
    with os.fdopen(slave, "w", encoding="utf-8") as tty:
        p = Progress(tty, delay=60.0)
        p.stage("linting", 5)
        for _ in range(5):
            p.advance()
        p.close()
        assert _drain(master, 0.2) == b""
    os.close(master)


def test_silent_on_a_pipe() -> None:
    r, w = os.pipe()
    with os.fdopen(w, "w", encoding="utf-8") as pipe:
        p = Progress(pipe, delay=0.0)
        assert not p.enabled
        p.stage("linting", 3)
        for _ in range(3):
            p.advance()
        p.close()
    with os.fdopen(r, "rb") as back:
        assert back.read() == b""


def test_line_without_a_total() -> None:
    p = Progress(open(os.devnull, "w"), delay=0.0)  # noqa: SIM115 - closed with the object
    p.stage("writing the report", None)
    assert p.line(p.began + 2.0) == "memmap-lint: writing the report (2s)"


@pytest.fixture(scope="module")
def big_fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40,000 hosts over 20 real maps: seconds of work, enough for the line to show."""
    root = tmp_path_factory.mktemp("fleet")
    maps = sorted(E820.glob("*.txt"))[:20]
    (root / "captures").mkdir()
    for m in maps:
        shutil.copyfile(m, root / "captures" / m.name)
    lines = [
        "all:",
        "  vars:",
        "    kernel: 6.12.0-1-amd64",
        '    kernel_cmdline: "ro reserve_mem=12M:4096:oops ramoops.mem_name=oops"',
        "  hosts:",
    ]
    for i in range(40_000):
        lines.append(f"    h{i:05d}: {{e820: captures/{maps[i % 20].name}, ansible_host: h{i}}}")
    (root / "fleet.yaml").write_text("\n".join(lines) + "\n")
    return root / "fleet.yaml"


def _lint(fleet: Path, stderr: int) -> tuple[int, float]:
    out = fleet.parent / "report.json"
    t0 = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "memmap_lint.cli.main",
            str(fleet),
            "--format",
            "json",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        check=False,
        timeout=300,
    )
    return proc.returncode, time.monotonic() - t0


def test_cli_shows_progress_on_a_terminal(big_fleet: Path) -> None:
    master, slave = pty.openpty()
    try:
        code, seconds = _lint(big_fleet, slave)
    finally:
        os.close(slave)
    text = _drain(master).decode()
    os.close(master)
    assert code in (0, 1)
    assert seconds > 1.0, "the fleet must take over a second for the line to appear"
    assert re.search(r"memmap-lint: (reading|resolving|linting).* hosts ", text), text
    assert text.endswith("\r\x1b[K")  # erased at the end


def test_cli_is_silent_on_a_pipe(big_fleet: Path) -> None:
    out = big_fleet.parent / "stderr.txt"
    with out.open("wb") as err:
        code, seconds = _lint(big_fleet, err.fileno())
    assert code in (0, 1)
    assert seconds > 1.0
    assert out.read_bytes() == b""
