"""Unified kernel images and add-ons, built with the real binutils (``ld``, ``objcopy``).

A UKI is a PE image whose ``.cmdline`` section systemd-stub hands to the kernel
(src/boot/efi/stub.c: add-ons' ``.cmdline`` appended with a space, control characters turned
into spaces by ``mangle_stub_cmdline``; with Secure Boot a boot loader's command line is
ignored). Here the PE images are real: linked by ``ld -m i386pep`` and given sections with
``objcopy --add-section`` exactly as the UKI guides (and ukify's fallback) do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from memmap_lint.bootconfig import load_boot_config
from memmap_lint.bootconfig.uki import pe_sections
from memmap_lint.errors import LintError


def _need(*tools: str) -> None:
    for t in tools:
        if shutil.which(t) is None:
            pytest.skip(f"needs {t} (binutils; .ci/install-bootfiles.sh)")


def _stub(tmp: Path) -> Path:
    """A minimal PE/COFF EFI application (the stand-in for systemd-stub's code)."""
    _need("as", "ld", "objcopy")
    obj = tmp / "stub.o"
    subprocess.run(
        ["as", "-o", str(obj)], input=".globl _start\n_start: ret\n", text=True, check=True
    )
    out = tmp / "stub.efi"
    subprocess.run(
        ["ld", "-m", "i386pep", "--subsystem", "10", "-e", "_start", "-o", str(out), str(obj)],
        check=True,
    )
    return out


def _pe(tmp: Path, out: Path, sections: dict[str, bytes]) -> Path:
    args = ["objcopy"]
    vma = 0x140030000
    for name, data in sections.items():
        f = tmp / f"sec{name}"
        f.write_bytes(data)
        args += ["--add-section", f"{name}={f}", "--change-section-vma", f"{name}={vma:#x}"]
        vma += 0x10000
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([*args, str(_stub(tmp)), str(out)], check=True, capture_output=True)
    return out


def test_section_table_matches_objdump(tmp_path: Path) -> None:
    uki = _pe(tmp_path, tmp_path / "a.efi", {".cmdline": b"quiet\n", ".uname": b"6.12.9-amd64"})
    _need("objdump")
    listing = subprocess.run(["objdump", "-h", str(uki)], capture_output=True, text=True).stdout
    sections = pe_sections(uki.read_bytes())
    for name in (".cmdline", ".uname", ".text"):
        assert name in listing and name in sections
    assert sections[".cmdline"].rstrip(b"\0") == b"quiet\n"
    assert sections[".uname"].rstrip(b"\0") == b"6.12.9-amd64"


def test_uki_with_addons_and_its_own_kernel(tmp_path: Path) -> None:
    esp = tmp_path / "esp"
    uki = _pe(
        tmp_path,
        esp / "EFI" / "Linux" / "debian.efi",
        {
            ".linux": b"kernel",
            ".cmdline": b"root=/dev/sda2 ro\n memmap=12M*4096:persistent-console-log\n",
            ".uname": b"6.8.0-41-rfc",
        },
    )
    _pe(
        tmp_path,
        esp / "loader" / "addons" / "oops.addon.efi",
        {".cmdline": b"\tramoops.mem_name=oops"},
    )
    _pe(
        tmp_path, Path(f"{uki}.extra.d") / "trace.addon.efi", {".cmdline": b"trace_instance=t@oops"}
    )
    config = load_boot_config(uki)
    [entry] = config.entries
    # mangle_stub_cmdline: each control character is one space; global add-ons, then .extra.d.
    assert entry.cmdline == (
        "root=/dev/sda2 ro  memmap=12M*4096:persistent-console-log ramoops.mem_name=oops "
        "trace_instance=t@oops"
    )
    assert entry.kernel == "6.8.0-41-rfc"
    assert any("Secure Boot" in n for n in entry.notes)
    origin = entry.origin_at(entry.cmdline.index("memmap"))
    assert (
        origin is not None
        and origin.path == f"{uki}#.cmdline"
        and (origin.line, origin.column) == (2, 2)
    )


def test_lint_a_uki_end_to_end(tmp_path: Path) -> None:
    # The UKI names its kernel (.uname 6.12.9): reserve_mem exists, the duplicate name is certain.
    uki = _pe(
        tmp_path,
        tmp_path / "EFI" / "Linux" / "x.efi",
        {
            ".linux": b"k",
            ".cmdline": b"reserve_mem=12M:4096:oops ramoops.mem_name=oops reserve_mem=4M:4096:oops",
            ".uname": b"6.12.9-amd64",
        },
    )
    p = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "lint", "--format", "json", str(uki)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert p.returncode == 1, p.stderr
    found = {f["code"]: f for f in json.loads(p.stdout)["findings"]}
    assert found["MM203"]["severity"] == "error"
    assert found["MM203"]["path"] == f"{uki}#.cmdline"
    assert "MM605" not in found and "MM106" not in found
    # Said once: with Secure Boot a boot loader's command line is ignored (systemd-stub).
    assert "With Secure Boot on, systemd-stub ignores" in found["MM508"]["message"]


def test_not_a_pe_is_a_located_error(tmp_path: Path) -> None:
    f = tmp_path / "broken.efi"
    f.write_bytes(b"MZ" + bytes(100))
    # A file that is not what it claims: nothing was checked, so an error (exit 2), not a finding.
    with pytest.raises(LintError) as raised:
        load_boot_config(f)
    assert raised.value.code == "MM505" and "not a PE image" in raised.value.message
    assert (raised.value.line, raised.value.column) == (1, 1)
    text = tmp_path / "notes.efi"
    text.write_text("quiet splash\n")
    p = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "--kind", "uki", str(text)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2, p.stdout + p.stderr
    assert p.stderr.startswith(f"{text}:1:1: MM505 not a PE image")
    assert "Traceback" not in p.stderr and not p.stdout
