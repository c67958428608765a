"""Hostile and broken inputs, as a new user would hand them over: each gives exit 2 and one
located line ``path:line:col: MMxxx message``, no traceback, in bounded time and memory.

Every case is run through the real command line in a fresh directory holding a real e820
capture (``cap.txt``, from tests/fixtures/hardening/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent.parent / "fixtures" / "hardening" / "cap.txt"
HOST = "all:\n  hosts:\n    h1:\n      e820: cap.txt\n"


def _bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return HOST + "      hardware:\n" + "".join(f"        {line}\n" for line in lines)


Files = dict[str, str | bytes]

CASES: dict[str, tuple[Files, list[str], str]] = {
    "yaml alias bomb under hardware": (
        {"inv.yaml": _bomb()}, ["inv.yaml"], "inv.yaml:6:9: MM604 this value expands to more",
    ),
    "yaml alias bomb under kernel_features": (
        {"inv.yaml": _bomb().replace("hardware:", "kernel_features:")},
        ["inv.yaml"], "inv.yaml:6:9: MM604 this value expands",
    ),
    "yaml recursive alias": (
        {"inv.yaml": HOST + "      x: &a [*a]\n"}, ["inv.yaml"], "inv.yaml:5:10: MM604 a recursive",
    ),
    "yaml 5000-digit integer": (
        {"inv.yaml": HOST + "      x: " + "9" * 5000 + "\n"},
        ["inv.yaml"], "inv.yaml:5:10: MM604 a number of 5000 characters",
    ),
    "yaml deep nesting": (
        {"inv.yaml": HOST + "      x: " + "[" * 5000 + "]" * 5000 + "\n"},
        ["inv.yaml"], "inv.yaml:5:",
    ),
    "yaml duplicate key": (
        {"inv.yaml": HOST + '      kernel_cmdline: "memmap=12M*4096:oops"\n'
         '      kernel_cmdline: "ro"\n'},
        ["inv.yaml"], "inv.yaml:6:7: MM604 duplicate key 'kernel_cmdline' (first at line 5",
    ),
    "json duplicate key": (
        {"inv.json": '{"all": {"hosts": {"h1": {"e820": "cap.txt", '
         '"kernel_cmdline": "memmap=12M*4096:oops", "kernel_cmdline": "ro"}}}}\n'},
        ["inv.json"], "inv.json:1:88: MM604 duplicate key 'kernel_cmdline' (first at line 1",
    ),
    "empty inventory": ({"inv.yaml": ""}, ["inv.yaml"], "inv.yaml: MM604 no hosts"),
    "--hosts selecting nothing": (
        {"inv.yaml": HOST}, ["inv.yaml", "--hosts", "nosuch"],
        "inv.yaml: MM001 --hosts 'nosuch' selects no host; the inventory has 1 host(s): h1",
    ),
    "e820 path with a NUL": (
        {"inv.yaml": HOST.replace("cap.txt", '"x\\0"')}, ["inv.yaml"],
        "inv.yaml:4:14: MM602 host h1: e820 (x\\x00): cannot read the capture: embedded NUL",
    ),
    "e820 path too long": (
        {"inv.yaml": HOST.replace("cap.txt", "a" * 300)}, ["inv.yaml"],
        "inv.yaml:4:13: MM602 host h1: e820 (" + "a" * 300 + "): cannot read the capture: File",
    ),
    "e820 path of 100k characters": (
        {"inv.yaml": HOST.replace("cap.txt", "a" * 100_000)}, ["inv.yaml"],
        "inv.yaml:4:13: MM602 host h1: e820 (" + "a" * 80 + "... (100000 characters)): cannot",
    ),
    "e820 is /dev/zero": (
        {}, ["simulate", "--e820", "/dev/zero", "--cmdline", "ro"],
        "/dev/zero: MM602 cannot read the capture: larger than the capture size cap",
    ),
    "inventory is /dev/zero": (
        {}, ["/dev/zero"],
        "/dev/zero: MM604 cannot read: larger than the inventory size cap",
    ),
    "boot file is /dev/zero": (
        {}, ["/dev/zero", "--kind", "grub-default"],
        "/dev/zero: MM505 cannot read boot config: larger than the boot-file size cap",
    ),
    "inventory not UTF-8": (
        {"inv.yaml": HOST.encode() + b"      x: caf\xe9\n"}, ["inv.yaml"],
        "inv.yaml:5:13: MM604 not UTF-8: byte 0xe9",
    ),
    "inventory is a directory of nothing": ({"d/.keep": ""}, ["d"], "d: MM604 no inventory"),
    "inventory does not exist": ({}, ["nope.yaml"], "nope.yaml: MM604 no such inventory"),
    "config thresholds = 5": (
        {"inv.yaml": HOST, "c.toml": "[tool.memmap-lint]\nthresholds = 5\n"},
        ["inv.yaml", "--config", "c.toml"], "c.toml: MM003 thresholds: expected a table",
    ),
    "config tool is a string": (
        {"inv.yaml": HOST, "c.toml": "[tool]\nmemmap-lint = 'memmap-lint'\n"},
        ["inv.yaml", "--config", "c.toml"], "c.toml: MM003 [tool.memmap-lint] must be a table",
    ),
    "config [[tool]]": (
        {"inv.yaml": HOST, "c.toml": "[[tool]]\n"},
        ["inv.yaml", "--config", "c.toml"], "c.toml: MM003 [tool.memmap-lint] must be a table",
    ),
    "config inf": (
        {"inv.yaml": HOST,
         "c.toml": "[tool.memmap-lint.thresholds]\nlarge-reservation-share = inf\n"},
        ["inv.yaml", "--config", "c.toml"],
        "c.toml: MM003 rules.MM305.share: expected",
    ),
    "config 5000 digits": (
        {"inv.yaml": HOST, "c.toml": "[tool.memmap-lint]\nx = " + "9" * 5000 + "\n"},
        ["inv.yaml", "--config", "c.toml"], "c.toml: MM003 invalid TOML",
    ),
    "config not UTF-8": (
        {"inv.yaml": HOST, "c.toml": b"[tool.memmap-lint]\nfail-on = 'error'\n\xff\n"},
        ["inv.yaml", "--config", "c.toml"], "c.toml:3:1: MM003 not UTF-8: byte 0xff",
    ),
    "config typo": (
        {"inv.yaml": HOST, "c.toml": "[tool.memmap-lint]\nfial-on = 'error'\n"},
        ["inv.yaml", "--config", "c.toml"], "c.toml: MM003 unknown setting 'fial-on'",
    ),
    "config yaml duplicate": (
        {"inv.yaml": HOST, "c.yaml": "select: [MM1]\nselect: [MM3]\n"},
        ["inv.yaml", "--config", "c.yaml"], "c.yaml:2:1: MM003 duplicate key 'select'",
    ),
    "config file size cap": (
        {"inv.yaml": HOST, "c.yaml": "max-file-size: {capture: 100}\n"},
        ["inv.yaml", "--config", "c.yaml"],
        "inv.yaml:4:13: MM602 host h1: e820 (cap.txt): cannot read the capture: larger than",
    ),
    "INI range beyond a C integer": (
        {"h.ini": "h[0:99999999999999999999]\n"}, ["h.ini"], "h.ini:1:1: MM604 host range",
    ),
    "INI range of a million hosts": (
        {"h.ini": "web[000000:999999]\n"}, ["h.ini"], "h.ini:1:1: MM604 host range [000000:99",
    ),
    "INI ranges multiplying past the cap": (
        {"h.ini": "h" + "[0:999]" * 40 + "\n"}, ["h.ini"], "h.ini:1:1: MM604 host pattern",
    ),
    "memmap_lint_ignore of an unknown code": (
        {"inv.yaml": HOST + "      memmap_lint_ignore: [MM999]\n"}, ["inv.yaml"],
        "inv.yaml:5:27: MM604 host h1: memmap_lint_ignore: unknown value 'MM999'",
    ),
    "kernel_features typo": (
        {"inv.yaml": HOST + "      kernel_features: [memmap-wilcard]\n"}, ["inv.yaml"],
        "inv.yaml:5:24: MM604 host h1: kernel_features: unknown value 'memmap-wilcard'; did you "
        "mean 'memmap-wildcard'?",
    ),
    "--select typo": (
        {"inv.yaml": HOST}, ["inv.yaml", "--select", "MM31O"],
        "memmap-lint: MM001 no rule matches 'MM31O' (see memmap-lint rules); did you mean 'MM310'",
    ),
    "binary as --kind grub-cfg": (
        {"grub.cfg": b"set default=0\nlinux /vmlinuz \x00\x01\x02\xff"},
        ["grub.cfg", "--kind", "grub-cfg"],
        "grub.cfg:2:16: MM505 binary data (a NUL byte): this is not a grub-cfg file",
    ),
    "boot file is a FIFO with no writer": (
        {}, ["fifo.cfg", "--kind", "grub-cfg"], "fifo.cfg: MM505 cannot read boot config: no data",
    ),
    "INI with a byte order mark": (
        {"h.ini": b"\xef\xbb\xbf[db]\nh1 e820=cap.txt\n"}, ["h.ini"],
        "h.ini:1:1: MM604 a UTF-8 byte order mark starts the file",
    ),
    "inline disable of an unknown rule": (
        {"grub": 'GRUB_CMDLINE_LINUX="ro" # memmap-lint: disable=MM105,unused-regoin\n'},
        ["grub", "--kind", "grub-default"],
        "grub:1:54: MM505 disable=unused-regoin: no such rule; did you mean 'unused-region'?",
    ),
    "config nested 3,000 deep": (
        {"inv.yaml": HOST, "c.yaml": "[" * 3000 + "\n"}, ["inv.yaml", "--config", "c.yaml"],
        "c.yaml:1:1001: MM003 invalid YAML: exceeded maximum nesting depth",
    ),
}  # fmt: skip


def run_case(tmp_path: Path, files: Files, args: list[str]) -> subprocess.CompletedProcess[str]:
    shutil.copy(FIXTURE, tmp_path / "cap.txt")
    if not (tmp_path / "fifo.cfg").exists():  # a test may run several cases in one folder
        os.mkfifo(tmp_path / "fifo.cfg")
    for name, content in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, errors="replace",
    )  # fmt: skip


def check(proc: subprocess.CompletedProcess[str], expected: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert any(line.startswith(expected) for line in lines), proc.stderr


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_located_error(tmp_path: Path, case: str) -> None:
    files, args, expected = CASES[case]
    started = time.monotonic()
    proc = run_case(tmp_path, files, args)
    check(proc, expected)
    assert time.monotonic() - started < 30


def test_config_400_digit_number_is_no_crash(tmp_path: Path) -> None:
    # once an OverflowError; a whole number of days is valid, however large
    toml = "[tool.memmap-lint.thresholds]\nmax-capture-age-days = " + "9" * 400 + "\n"
    proc = run_case(
        tmp_path, {"inv.yaml": HOST, "c.toml": toml}, ["inv.yaml", "--config", "c.toml"]
    )
    assert proc.returncode in (0, 1) and proc.stderr == "", proc.stderr


def test_ini_thousand_ranges_expand_without_recursion(tmp_path: Path) -> None:
    # once a RecursionError: a name with 1,000 one-item ranges is one host
    files: Files = {"h.ini": "h" + "[0:0]" * 1000 + " e820=cap.txt\n"}
    proc = run_case(tmp_path, files, ["h.ini", "--format", "json"])
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    assert '"h' + "0" * 1000 + '"' in proc.stdout


def test_inventory_directory_symlink_loops(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    inv.mkdir()
    (inv / "hosts.yaml").write_text(HOST.replace("cap.txt", "../cap.txt"))
    (inv / "a").symlink_to(".")
    proc = run_case(tmp_path, {}, ["inv"])
    check(proc, "inv/a: MM604 symbolic link loop")
    (inv / "a").unlink()
    (inv / "group_vars" / "all").mkdir(parents=True)
    (inv / "group_vars" / "all" / "loop").symlink_to("..")
    proc = run_case(tmp_path, {}, ["inv"])
    check(proc, "inv/group_vars/all/loop/all: MM604 symbolic link loop")


def test_host_names_never_paths_outside(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    (inv / "host_vars").mkdir(parents=True)
    (inv / "group_vars").mkdir()
    (tmp_path / "outside.yaml").write_text('kernel_cmdline: "mem=1M"\n')
    long_name = "h" * 300
    (inv / "hosts.yaml").write_text(
        "all:\n  hosts:\n"
        + "".join(f"    {n}:\n      e820: ../cap.txt\n" for n in ("../../outside", long_name))
    )
    proc = run_case(tmp_path, {}, ["inv", "--format", "json"])
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    assert "MM109" not in proc.stdout  # the outside file's mem=1M was never read


def test_stdin_is_read_with_a_cap(tmp_path: Path) -> None:
    """``-`` reads stdin as a file is read (it once read /dev/zero until memory ran out)."""
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run(
            [sys.executable, "-m", "memmap_lint.cli.main", "-", "--kind", "grub-default"],
            stdin=zero, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    check(proc, "-: MM001 cannot read: larger than the boot-file size cap")


def test_an_inventory_whose_hosts_bring_nothing_is_not_clean(tmp_path: Path) -> None:
    """A directory of files that are not inventories (read as INI host lists) and a YAML
    inventory without kernel_cmdline, boot_files or e820: exit 2, never "N clean"."""
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes").write_text("hello world\nfoo\n")
    (junk / "settings").write_text("GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\n")
    bare = tmp_path / "bare.yaml"
    bare.write_text("all:\n  hosts:\n    a: {}\n    b: {}\n")
    for path in (junk, bare):
        res = subprocess.run(
            [sys.executable, "-m", "memmap_lint.cli.main", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 2, res.stdout + res.stderr
        assert f"{path}: MM604 nothing to check" in res.stderr
        assert "clean" not in res.stdout
