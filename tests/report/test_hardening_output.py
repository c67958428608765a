"""Every file the tool writes goes through one writer that never destroys: a regular file or a
missing path is replaced atomically (mode and owner kept), a symlink's target is replaced, a
FIFO or character device is written in place, anything else is refused (MM002). And any input
character can be reported: lone surrogates, control characters and bidi controls are shown as
escapes, so JUnit XML stays well-formed and HTML cannot be visually spoofed.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from memmap_lint.engine.findings import Finding, Location
from memmap_lint.engine.results import HostResult
from memmap_lint.errors import LintError
from memmap_lint.fileio import write_file
from memmap_lint.report.escape import visible
from memmap_lint.report.github import render_github
from memmap_lint.report.html import render_html
from memmap_lint.report.junit import render_junit
from memmap_lint.report.text import render_text

# a GRUB default whose command line holds a non-UTF-8 byte, a control character and U+00A0
GRUB = b'GRUB_CMDLINE_LINUX="ro memmap=12M*4096:o\xffps\x01 ramoops.mem_name=o\xc2\xa0ps mem=1M"\n'


def _cli(*args: str, stdout: int | object = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", *args],
        stdout=stdout, stderr=subprocess.PIPE, timeout=120,  # type: ignore[call-overload]
    )  # fmt: skip


def test_regular_file_replaced_keeping_mode(tmp_path: Path) -> None:
    out = tmp_path / "r.txt"
    out.write_text("old")
    out.chmod(0o640)
    inode = out.stat().st_ino
    write_file(out, ["new"])
    assert out.read_text() == "new"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert out.stat().st_ino != inode  # replaced by rename, not truncated in place
    assert [p.name for p in tmp_path.iterdir()] == ["r.txt"]


def test_new_file_gets_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_file(tmp_path / "n.txt", ["x"])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "n.txt").stat().st_mode) == 0o640


def test_symlink_target_replaced_link_kept(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    write_file(link, ["new"])
    assert link.is_symlink() and os.readlink(link) == "real.json"
    assert target.read_text() == "new"


def test_symlink_loop_refused(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(LintError) as err:
        write_file(tmp_path / "a", ["x"])
    assert err.value.code == "MM002" and "loop" in err.value.message


def test_fifo_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_file(fifo, ["report\n"])
    reader.join(10)
    assert got == [b"report\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_character_device_written_in_place() -> None:
    before = os.stat("/dev/null")
    write_file("/dev/null", ["x" * 100_000])
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


@pytest.mark.parametrize("kind", ["directory", "socket"])
def test_anything_else_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / kind
    if kind == "directory":
        path.mkdir()
    else:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    with pytest.raises(LintError) as err:
        write_file(path, ["x"])
    assert err.value.code == "MM002"
    assert stat.S_ISDIR(path.lstat().st_mode) or stat.S_ISSOCK(path.lstat().st_mode)


def test_cli_output_dev_stdout_streams_and_dev_full_fails(tmp_path: Path) -> None:
    grub = tmp_path / "grub"
    grub.write_bytes(GRUB)
    proc = _cli(str(grub), "--format", "json", "--output", "/dev/stdout")
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["summary"]["error"] >= 1
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    full = _cli(str(grub), "--output", "/dev/full")
    assert full.returncode == 2
    assert full.stderr.decode().strip().splitlines() == [
        "/dev/full: MM002 cannot write /dev/full: No space left on device"
    ]
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    with open("/dev/full", "wb") as disk_full:
        out = _cli(str(grub), stdout=disk_full)
    assert out.returncode == 2 and b"Traceback" not in out.stderr
    assert b"MM002 cannot write standard output" in out.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "html"])
def test_every_format_reports_any_byte(tmp_path: Path, fmt: str) -> None:
    grub = tmp_path / "grub"
    grub.write_bytes(GRUB)
    for target in ("-", str(tmp_path / f"out.{fmt}")):
        proc = _cli(str(grub), "--format", fmt, "--output", target)
        assert proc.returncode == 1, proc.stderr
        assert b"Traceback" not in proc.stderr
        data = proc.stdout if target == "-" else Path(target).read_bytes()
        text = data.decode("utf-8")  # always valid UTF-8
        if fmt in ("json", "sarif"):
            json.loads(text)
        if fmt == "junit":
            ET.fromstring(data)
        if fmt in ("text", "junit"):
            assert "\\udcff" in text
        if fmt in ("text", "junit", "github"):
            assert "\x01" not in text


HOSTILE = "web\x01-01\u202e10.0\x1b[2J\udcff"


def test_hostile_host_names_escaped_in_every_renderer() -> None:
    finding = Finding(
        "MM305", "large-reservation", "warning", HOSTILE, f"msg {HOSTILE}",
        param=f"memmap={HOSTILE}", location=Location(f"inv/{HOSTILE}.yaml", 1, 1),
    )  # fmt: skip
    results = [HostResult(HOSTILE, None, (finding,))]
    junit = "".join(render_junit(results))
    root = ET.fromstring(junit.encode("utf-8"))
    assert root.find(".//testcase").get("name") == visible(HOSTILE)  # type: ignore[union-attr]
    page = "".join(render_html(results))
    assert "\u202e" not in page and "\x1b" not in page and "\x01" not in page
    assert "\\u202e" in page
    for rendered in ("".join(render_text(results)), "".join(render_github(results))):
        assert not any(c in rendered for c in "\x01\x1b\u202e\udcff")
        assert "\\x1b" in rendered


def test_a_reader_that_leaves_gets_no_error_line(tmp_path: Path) -> None:
    """``memmap-lint INVENTORY | head -1``: the reader is gone; no MM002 line on stderr."""
    inventory = Path(__file__).resolve().parent.parent.parent / "inventory" / "prod.yaml"
    cmd = [sys.executable, "-m", "memmap_lint.cli.main", str(inventory), "--format", "concise"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the report is written: every write meets EPIPE
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 2 and err == ""


def test_output_to_a_fifo_nobody_reads_gives_up(tmp_path: Path) -> None:
    """A blocking open of a FIFO without a reader never returned: MM002 after 10 s instead."""
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    inventory = Path(__file__).resolve().parent.parent.parent / "inventory" / "prod.yaml"
    cmd = [sys.executable, "-m", "memmap_lint.cli.main", str(inventory), "--output", str(fifo)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert (
        p.stderr.splitlines()[-1]
        == f"{fifo}: MM002 cannot write {fifo}: no reader for 10 s (a FIFO)"
    )
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still the FIFO, never replaced
