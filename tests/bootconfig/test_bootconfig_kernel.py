"""Which kernel a boot file is checked for, end to end (a real ``memmap-lint`` process each).

The next kernel comes from ``--kernel``/``--dialect``/``--feature``, else a boot-files profile,
else the entry's own (BLS ``version``/``linux``, a grub.cfg ``linux`` path, a UKI's ``.uname``);
otherwise it is unknown and every parameter is checked as stock, RFC and 6.11+
(engine/candidates.py). Kernel facts: ``reserve_mem=`` from 6.11 (mm/memblock.c), the RFC
patch's 15-byte names (e820_add_mmap), reserve_mem's duplicate name (-EBUSY).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIX = Path(__file__).parent.parent / "fixtures"
E820 = FIX / "e820" / "asus-rog-strix-b550-a-64g.txt"
CLI = (sys.executable, "-m", "memmap_lint.cli.main", "lint")
DUP = "reserve_mem=12M:4096:oops ramoops.mem_name=oops reserve_mem=4M:4096:oops\n"
LONG = "memmap=12M*4096:persistent-console-log\n"


def lint(*args: str, cwd: Path) -> tuple[int, dict[str, list[dict[str, object]]]]:
    p = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "lint", "--format", "json", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ),
        timeout=120,
    )
    assert p.returncode in (0, 1), p.stderr
    return p.returncode, json.loads(p.stdout)


def _cmdline(tmp_path: Path, text: str) -> str:
    f = tmp_path / "etc" / "kernel" / "cmdline"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(text)
    return "etc/kernel/cmdline"


def _by_code(data: dict[str, list[dict[str, object]]]) -> dict[str, dict[str, object]]:
    return {str(f["code"]): f for f in data["findings"]}


def test_unknown_kernel_duplicate_reserve_mem_name(tmp_path: Path) -> None:
    rc, data = lint(_cmdline(tmp_path, DUP), cwd=tmp_path)
    found = _by_code(data)
    assert rc == 1
    # Holds only where reserve_mem exists: conditional, a warning, saying so.
    assert found["MM203"]["severity"] == "warning"
    assert str(found["MM203"]["message"]).startswith("on 6.11 or later: ")
    # "reserve_mem= does not exist" holds on the older kernels only: an info, not an error.
    assert found["MM106"]["severity"] == "info"
    assert "on a kernel without the RFC patch (before 6.11)" in str(found["MM106"]["message"])
    assert found["MM605"]["severity"] == "info"  # the assumption, once per file
    assert found["MM602"]["severity"] == "info"


def test_unknown_kernel_long_rfc_name(tmp_path: Path) -> None:
    _rc, data = lint(_cmdline(tmp_path, LONG), cwd=tmp_path)
    found = _by_code(data)
    assert "on an RFC kernel" in str(found["MM202"]["message"])
    assert "22 bytes" in str(found["MM202"]["message"])
    assert found["MM202"]["severity"] == "warning"
    assert found["MM105"]["severity"] == "info"
    message = str(found["MM105"]["message"])
    assert "on a kernel without the RFC patch" in message and "on 6.11 or later" in message


def test_kernel_options_make_it_certain(tmp_path: Path) -> None:
    path = _cmdline(tmp_path, DUP)
    _rc, data = lint("--kernel", "6.12.9-amd64", path, cwd=tmp_path)
    found = _by_code(data)
    assert found["MM203"]["severity"] == "error"
    assert not str(found["MM203"]["message"]).startswith("on ")
    assert "MM605" not in found and "MM106" not in found
    _rc, data = lint("--kernel", "6.1.0-28-amd64", path, cwd=tmp_path)
    assert _by_code(data)["MM106"]["severity"] == "error"
    path = _cmdline(tmp_path, LONG)
    for args in (["--dialect", "rfc"], ["--feature", "memmap-wildcard"]):
        _rc, data = lint(*args, path, cwd=tmp_path)
        found = _by_code(data)
        assert found["MM202"]["severity"] == "error" and "MM105" not in found


def test_e820_option_runs_the_placement_rules(tmp_path: Path) -> None:
    path = _cmdline(tmp_path, "reserve_mem=12M:4096:oops ramoops.mem_name=oops\n")
    _rc, data = lint("--kernel", "6.12.9-amd64", "--e820", str(E820), path, cwd=tmp_path)
    assert "MM602" not in _by_code(data)
    [host] = data["hosts"]
    assert host.get("dialect") == "mainline" or "simulation" in json.dumps(host)


def test_bls_kernel_without_version_is_unknown(tmp_path: Path) -> None:
    # Arch/CachyOS BLS entries name the kernel without a version: not "older than 6.11".
    entries = tmp_path / "boot" / "loader" / "entries"
    entries.mkdir(parents=True)
    (entries / "cachyos.conf").write_text(
        "title CachyOS\nlinux /vmlinuz-linux-cachyos\ninitrd /initramfs-linux-cachyos.img\n"
        "options root=UUID=1 rw reserve_mem=12M:4096:oops ramoops.mem_name=oops\n"
    )
    rc, data = lint("boot/loader/entries", cwd=tmp_path)
    found = _by_code(data)
    assert "'linux-cachyos', which carries no version" in str(found["MM605"]["message"])
    # No false errors: what only older kernels lack is an info.
    assert all(f["severity"] != "error" for f in data["findings"]), data["findings"]
    assert rc == 0
    # The entry's own version decides when there is one (BLS `version`).
    (entries / "cachyos.conf").write_text(
        "title Debian\nversion 6.1.0-28-amd64\nlinux /vmlinuz-6.1.0-28-amd64\n"
        "options root=UUID=1 rw reserve_mem=12M:4096:oops\n"
    )
    _rc, data = lint("boot/loader/entries", cwd=tmp_path)
    assert _by_code(data)["MM106"]["severity"] == "error"


def test_kernel_option_overrides_an_inventory(tmp_path: Path) -> None:
    (tmp_path / "inv.yaml").write_text(
        "all:\n  hosts:\n    h1:\n      kernel: 6.1.0-28-amd64\n"
        f"      kernel_cmdline: '{DUP.strip()}'\n"
    )
    _rc, data = lint("inv.yaml", cwd=tmp_path)
    assert "MM106" in _by_code(data)
    _rc, data = lint("--kernel", "6.12.9-amd64", "inv.yaml", cwd=tmp_path)
    found = _by_code(data)
    assert "MM106" not in found and found["MM203"]["severity"] == "error"


def test_grubby_info_all(tmp_path: Path) -> None:
    # The shape Fedora's grubby-bls prints for --info=ALL (index=, kernel=, args=, root=, ...).
    rc, data = lint("--kind", "grubby", str(FIX / "boot" / "grubby" / "info-all.txt"), cwd=tmp_path)
    assert rc == 1
    hosts = [h["host"] for h in data["hosts"]]
    assert len(hosts) == 2  # the non-Linux entry is skipped
    mm203 = [f for f in data["findings"] if f["code"] == "MM203"]
    # The entry's kernel is 6.12 (its vmlinuz path): certain, an error, in the args line.
    assert [f["severity"] for f in mm203] == ["error"]
    assert (mm203[0]["line"], mm203[0]["column"]) == (3, 111)  # its name
    mm502 = [f for f in data["findings"] if f["code"] == "MM502"]
    assert mm502, "the rescue entry lacks the reservation"


def test_no_fix_edits_a_grubby_report(tmp_path: Path) -> None:
    # grubby --info=ALL is a report of the BLS entries: a fix belongs in the entries themselves.
    report = tmp_path / "entries.txt"
    report.write_text((FIX / "boot" / "grubby" / "info-all.txt").read_text())
    p = subprocess.run(
        [*CLI, "--diff", "--unsafe-fixes", "--kind", "grubby", str(report)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert p.returncode == 1, p.stderr
    assert p.stdout == "" and "would fix" not in p.stderr


def test_e820_option_is_for_boot_files(tmp_path: Path) -> None:
    (tmp_path / "inv.yaml").write_text("all:\n  hosts:\n    h1:\n      kernel_cmdline: quiet\n")
    p = subprocess.run(
        [*CLI, "--e820", str(E820), "inv.yaml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ),
        timeout=120,
    )
    assert p.returncode == 2
    assert "MM001 --e820 gives boot files a map" in p.stderr
