"""``memmap-lint PATH`` on boot files, end to end (a real process each time).

Expectations: GRUB util/grub-mkconfig.in, util/grub.d/10_linux.in (grub-mkconfig, GRUB lexer, dash escaping), blscfg (BLS); fixture
files under tests/fixtures/bootlint and tests/fixtures/boot.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from memmap_lint.engine.registry import load_rules
from memmap_lint.engine.suppress import suppressed_codes

FIX = Path(__file__).parent.parent / "fixtures"
E820 = FIX / "e820" / "asus-rog-strix-b550-a-64g.txt"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "lint", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ),
        timeout=120,
    )


def _tree(tmp_path: Path, grub: str, dropins: dict[str, str] | None = None) -> Path:
    d = tmp_path / "etc" / "default"
    d.mkdir(parents=True)
    (d / "grub").write_text(grub)
    for name, text in (dropins or {}).items():
        (d / "grub.d").mkdir(exist_ok=True)
        (d / "grub.d" / name).write_text(text)
    return d / "grub"


def test_json_findings_carry_file_positions(tmp_path: Path) -> None:
    grub = _tree(
        tmp_path, 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="memmap=4G$12G"\n'
    )
    p = run("--format", "json", "--ignore", "MM602", "etc/default/grub", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    data = json.loads(p.stdout)
    hosts = [h["host"] for h in data["hosts"]]
    assert hosts[0] == "etc/default/grub#GNU/Linux"  # the default entry first
    assert any(h.endswith("(recovery mode)") for h in hosts)
    mm501 = [f for f in data["findings"] if f["code"] == "MM501"]
    # The three entries all get the mangled line: one finding each, none of them counted clean.
    assert sorted(f["host"] for f in mm501) == sorted(hosts) and len(hosts) == 3
    for f in mm501:
        assert (f["path"], f["line"], f["column"]) == ("etc/default/grub", 2, 21)
        # GRUB util/grub-mkconfig.in run by dash, checked with dash
        assert f["param"] == "memmap=4G2G"
    assert not [x for x in data["findings"] if x["code"] == "MM109"]  # MM501 owns it
    assert grub.is_file()


def test_inline_suppression_on_line_or_line_before(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        "# memmap-lint: disable=grub-unescaped-dollar\n"
        'GRUB_CMDLINE_LINUX="memmap=4G$12G"\n'
        'GRUB_CMDLINE_LINUX_DEFAULT="quiet reserve_mem=12M:4096:oops"  # memmap-lint: disable=MM502\n',
    )
    p = run("--format", "json", "--ignore", "MM602", "etc/default/grub", cwd=tmp_path)
    codes = {f["code"] for f in json.loads(p.stdout)["findings"]}
    assert "MM501" not in codes and "MM502" not in codes, p.stdout
    assert suppressed_codes("x # memmap-lint: disable=MM402, unused-region  why") == {
        "MM402",
        "unused-region",
    }


def test_drop_in_is_linted_through_default_grub(tmp_path: Path) -> None:
    src = FIX / "boot" / "ubuntu-cloud" / "etc"
    shutil.copytree(src, tmp_path / "etc")
    p = run(
        "--format",
        "json",
        "etc/default/grub",
        "etc/default/grub.d/50-cloudimg-settings.cfg",
        cwd=tmp_path,
    )
    data = json.loads(p.stdout)
    mm506 = [f for f in data["findings"] if f["code"] == "MM506"]
    assert len(mm506) == 1, data["findings"]  # linted once although named twice
    assert mm506[0]["path"] == "etc/default/grub.d/50-cloudimg-settings.cfg"
    assert mm506[0]["line"] == 11


def test_kind_override_and_proc_cmdline_host_name(tmp_path: Path) -> None:
    f = tmp_path / "cmdline.txt"
    f.write_text("root=/dev/sda1 ro memmap=4GG\n")
    p = run("--format", "json", "--kind", "proc-cmdline", str(f))
    data = json.loads(p.stdout)
    assert [h["host"] for h in data["hosts"]] == [str(f)]
    # MM109 points at the character after the size (col 26); MM602 at the parameter (19)
    assert any(x["code"] == "MM109" and x["column"] == 26 for x in data["findings"]), data
    assert any(x["code"] == "MM602" and x["column"] == 19 for x in data["findings"]), data


def test_hardware_profile_from_config_runs_every_rule(tmp_path: Path) -> None:
    _tree(tmp_path, 'GRUB_CMDLINE_LINUX="reserve_mem=12M:4096:oops ramoops.mem_name=oops"\n')
    shutil.copy(E820, tmp_path / "b550.txt")
    (tmp_path / ".memmap-lint.yaml").write_text(
        "boot-files:\n  etc/default/grub: {e820: b550.txt, kernel: 6.12.0-1-amd64}\n"
    )
    p = run("--format", "json", "etc/default/grub", cwd=tmp_path)
    data = json.loads(p.stdout)
    host = data["hosts"][0]
    assert host["dialect"] == "mainline" and host["e820"], p.stderr
    assert [r["name"] for r in host["regions"]] == ["oops"]
    assert not [x for x in data["findings"] if x["code"] == "MM602"]


def test_inventory_boot_files(tmp_path: Path) -> None:
    _tree(tmp_path, 'GRUB_CMDLINE_LINUX="quiet memmap=4G$12G"\n')
    (tmp_path / "inv.yaml").write_text(
        "all:\n  hosts:\n    web-01:\n      kernel: 6.1.0-28-amd64\n"
        "      boot_files: [etc/default/grub]\n"
    )
    p = run("--format", "json", "inv.yaml", cwd=tmp_path)
    data = json.loads(p.stdout)
    f = next(x for x in data["findings"] if x["code"] == "MM501")
    assert f["host"] == "web-01"
    assert (f["path"], f["line"], f["column"]) == ("etc/default/grub", 1, 27)


def test_unknown_file_is_a_clean_error(tmp_path: Path) -> None:
    p = run("--kind", "grub-cfg", str(tmp_path / "missing.cfg"))
    assert p.returncode == 2
    assert "MM505" in p.stderr and "Traceback" not in p.stderr


_RULES = [r for r in load_rules(entry_points_too=False) if r.code.startswith("MM5")]


@settings(max_examples=150, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("GRUB_CMDLINE_LINUX=\"' \\$12G\nmemap4%#{}")), max_size=80
    ),
    st.sampled_from(["grub-default", "grub-cfg", "bls", "kernel-cmdline"]),
)
def test_boot_rules_never_crash(text: str, kind: str) -> None:
    """Any text of any kind: the MM5xx rules give findings, never a traceback."""
    from memmap_lint.bootconfig import parse_boot_text
    from memmap_lint.engine.bootlint import views
    from memmap_lint.engine.hostinput import boot_locator
    from memmap_lint.engine.runner import Engine
    from memmap_lint.kernel.cmdline import parse
    from memmap_lint.kernel.release import kernel_for
    from memmap_lint.rule import HostContext

    config = parse_boot_text(text, kind, "<inline>")
    engine = Engine(_RULES)
    for v in views(config, {"<inline>": text}):
        ctx = HostContext(
            v.entry.title,
            parse(v.entry.cmdline),
            kernel_for(None),
            None,
            locate=boot_locator(v, "<inline>"),
            boot=v,
        )
        for f in engine.check_host(ctx):
            assert f.message


def test_inline_disable_is_the_same_linted_as_a_file_or_through_boot_files(tmp_path: Path) -> None:
    """One post-processing stage: the disable comment and MM501's precedence over MM109 hold
    whether the GRUB file is linted itself or reached from an inventory host's boot_files (the
    kernel named, so that the file does not get MM605, the note of an unknown kernel)."""
    _tree(
        tmp_path,
        '# memmap-lint: disable=MM501\nGRUB_CMDLINE_LINUX="quiet memmap=4G$12G"\n',
    )
    (tmp_path / "inv.yaml").write_text(
        "all:\n  hosts:\n    web-01:\n      boot_files: [etc/default/grub]\n"
    )

    def codes(path: str) -> list[str]:
        p = run("--format", "json", "--kernel", "6.1.0-28-amd64", path, cwd=tmp_path)
        assert p.returncode in (0, 1), p.stderr
        data = json.loads(p.stdout)
        host = data["hosts"][0]["host"]  # the default entry, or the inventory's one host
        # MM605 (kernel unknown) is the boot file's own: the inventory host has a kernel.
        return sorted(
            f["code"] for f in data["findings"] if f["host"] == host and f["code"] != "MM605"
        )

    as_file, as_host = codes("etc/default/grub"), codes("inv.yaml")
    assert as_file == as_host == ["MM602"]
    (tmp_path / "etc" / "default" / "grub").write_text('GRUB_CMDLINE_LINUX="quiet memmap=4G$12G"\n')
    p = run(
        "--format",
        "json",
        "--kernel",
        "6.1.0-28-amd64",
        "--ignore",
        "MM501",
        "etc/default/grub",
        cwd=tmp_path,
    )
    found = sorted({f["code"] for f in json.loads(p.stdout)["findings"]})
    assert found == ["MM602"], found  # deselected, MM501 still takes precedence over MM109


def test_words_grub_drops_from_a_full_command_line_are_reported(tmp_path: Path) -> None:
    """grub_create_loader_cmdline() drops the first word that does not fit and every word after
    it (GRUB grub-core/lib/cmdline.c): the entry's command line is already without them, so MM108
    reports them from the entry (a run once exited 0 with the reservation silently gone)."""
    filler = " ".join(f"p{i}=" + "x" * 40 for i in range(50))
    grub = f'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="{filler} memmap=4G%12G+2"\n'
    _tree(tmp_path, grub)
    p = run("--format", "json", "--dialect", "stock", "etc/default/grub", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    mm108 = [f for f in json.loads(p.stdout)["findings"] if f["code"] == "MM108"]
    assert len(mm108) == 3  # every entry
    for f in mm108:
        assert f["severity"] == "error" and "Lost: " in f["message"]
        assert "memmap=4G%12G+2" in f["message"].split("Lost: ")[1]
        first = f["message"].split("full at '")[1].split("'")[0]
        column = grub.split("\n")[1].index(first) + 1
        assert (f["path"], f["line"], f["column"]) == ("etc/default/grub", 2, column)
