"""Advice on boot files quotes what the file must say, never what GRUB or sh made of it.

Expectations: GRUB's lexer empties ``$12`` inside a menu entry (grub-core/script/execute.c,
positional parameters), dash removes one backslash level when grub-mkconfig sources
/etc/default/grub; the split value as the real 10_linux writes it
(tests/bootconfig/test_bootconfig_grub_default.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIX = Path(__file__).parent.parent / "fixtures" / "boot"


def lint(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "lint", "--format", "json", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ),
        timeout=120,
    )


def _findings(p: subprocess.CompletedProcess[str], code: str) -> list[dict[str, object]]:
    assert p.returncode in (0, 1), p.stderr
    return [f for f in json.loads(p.stdout)["findings"] if f["code"] == code]


def test_mm502_on_grub_cfg_advises_the_escaped_text() -> None:
    # The fixture's normal entries say `memmap=4G$12G` (GRUB hands the kernel memmap=4GG); the
    # recovery entries lack it. The advice is grub.cfg's own spelling, memmap=4G\$12G.
    mm502 = _findings(lint(str(FIX / "debian12" / "boot" / "grub" / "grub.cfg")), "MM502")
    assert mm502
    for f in mm502:
        message = str(f["message"])
        assert message.startswith("memmap=4G\\$12G is missing from the recovery entry")
        assert "memmap=4GG is missing" not in message
        assert "today the kernel receives memmap=4GG" in message


def test_mm502_on_default_grub_advises_the_sh_escaped_text() -> None:
    # /etc/default/grub line 9 writes "memmap=4G\$12G" in double quotes: sh and GRUB each take
    # a level, so the file must say "memmap=4G\\\$12G".
    mm502 = _findings(lint(str(FIX / "debian12" / "etc" / "default" / "grub")), "MM502")
    assert mm502
    assert str(mm502[0]["message"]).startswith("memmap=4G\\\\\\$12G is missing")
    assert "GRUB_CMDLINE_LINUX_DEFAULT" in str(mm502[0]["message"])


def test_split_value_is_an_error_end_to_end(tmp_path: Path) -> None:
    d = tmp_path / "etc" / "default"
    d.mkdir(parents=True)
    (d / "grub").write_text('GRUB_CMDLINE_LINUX="memmap=16G!4G,\n4G!20G"\n')
    p = lint("--fail-on", "error", "etc/default/grub", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    found = _findings(p, "MM505")
    # Every entry (normal, advanced, recovery) gets the cut line: one error each.
    assert len(found) == len(json.loads(p.stdout)["hosts"]) == 3
    for f in found:
        assert f["severity"] == "error"
        assert (f["path"], f["line"], f["column"]) == ("etc/default/grub", 1, 35)
        assert "the kernel receives only 'memmap=16G!4G,'" in str(f["message"])


def test_no_affected_entry_is_counted_clean(tmp_path: Path) -> None:
    # GRUB_CMDLINE_LINUX reaches all three entries (normal, advanced, recovery) as memmap=4GG:
    # text may show the finding once, but counts three affected entries; JUnit fails all three.
    d = tmp_path / "etc" / "default"
    d.mkdir(parents=True)
    (d / "grub").write_text('GRUB_CMDLINE_LINUX="memmap=4G$12G"\n')

    def run(fmt: str) -> str:
        p = subprocess.run(
            [
                sys.executable,
                "-m",
                "memmap_lint.cli.main",
                "lint",
                "--format",
                fmt,
                "etc/default/grub",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=dict(os.environ),
            timeout=120,
        )
        assert p.returncode == 1, p.stderr
        return p.stdout

    text = run("text")
    assert text.rstrip().splitlines()[-1].startswith("3 host(s), 0 clean: 3 error(s)")
    assert text.count("MM501") == 1  # shown once, naming the other entries
    assert run("junit").count("<failure") == 3
    sarif = json.loads(run("sarif"))
    assert sum(1 for r in sarif["runs"][0]["results"] if r["ruleId"] == "MM501") == 3


def test_grub_cfg_with_a_cut_linux_line(tmp_path: Path) -> None:
    # The grub.cfg the real 10_linux writes from a split value: each entry's linux line ends at
    # the line break and GRUB runs the rest as a command of its own.
    from grub_mkconfig import real_10_linux

    defaults = tmp_path / "grub"
    defaults.write_text('GRUB_CMDLINE_LINUX="memmap=16G!4G,\n4G!20G"\n')
    cfg = tmp_path / "boot" / "grub" / "grub.cfg"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(real_10_linux(defaults))
    p = lint("--fail-on", "error", "boot/grub/grub.cfg", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    found = _findings(p, "MM505")
    hosts = json.loads(p.stdout)["hosts"]
    assert len(found) == len(hosts) == 3  # every entry, each at its own cut line
    lines = cfg.read_text().split("\n")
    for f in found:
        assert "GRUB runs '4G!20G' as a command" in str(f["message"])
        assert lines[int(str(f["line"])) - 1].strip() == "4G!20G"
