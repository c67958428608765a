"""``lint --diff`` / ``--fix`` on real-shaped boot files, checked with the real tools.

Every fixed /etc/default/grub is sourced by dash and run through the real 10_linux (what
grub-mkconfig writes passes grub-script-check and gives each entry the promised command line),
and every fixed grub.cfg passes grub-script-check (GRUB's own parser); the command line each
entry gets after the fix is simulated and compared with what the author meant before it.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from grub_mkconfig import real_10_linux
from memmap_lint.bootconfig import load_boot_config, parse_boot_text
from memmap_lint.captures.parse import load_capture
from memmap_lint.kernel.release import kernel_for
from memmap_lint.kernel.simulate import simulate

FIX = Path(__file__).parent.parent / "fixtures" / "boot"
CAPTURE = Path(__file__).parent.parent / "fixtures" / "e820" / "asus-f2a85-m-7g.txt"
DASH = shutil.which("dash")
GRUB_SCRIPT_CHECK = shutil.which("grub-script-check")
needs_tools = pytest.mark.skipif(
    (DASH is None or GRUB_SCRIPT_CHECK is None) and not os.environ.get("CI"),
    reason="needs dash and grub-script-check (.ci/install-bootfiles.sh)",
)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def codes(p: subprocess.CompletedProcess[str]) -> list[str]:
    assert p.returncode in (0, 1), p.stderr
    return [f["code"] for f in json.loads(p.stdout)["findings"]]


def dash_value(path: Path, name: str) -> str:
    assert DASH is not None
    out = subprocess.run(
        [DASH, "-c", f'. "$1"; printf %s "${name}"', "sh", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def grub_check(path: Path) -> None:
    assert GRUB_SCRIPT_CHECK is not None
    subprocess.run([GRUB_SCRIPT_CHECK, str(path)], check=True, capture_output=True)


def mkconfig_check(defaults: Path) -> None:
    """The real 10_linux on a fixed /etc/default/grub: grub-script-check accepts what it writes,
    and GRUB gives each entry the command line the model (and so the fix) says."""
    assert GRUB_SCRIPT_CHECK is not None
    cfg = real_10_linux(defaults)
    subprocess.run([GRUB_SCRIPT_CHECK], input=cfg, text=True, check=True)
    real = parse_boot_text(cfg, "grub-cfg", "grub.cfg").entries
    model = load_boot_config(defaults).entries
    tails = [sorted(e.cmdline.split(" ro ", 1)[1] for e in x) for x in (real, model)]
    assert tails[0] == tails[1]


def e820(cmdline: str, release: str) -> list[tuple[int, int, int]]:
    cap = load_capture(str(CAPTURE))
    sim = simulate(cap.entries, cmdline, kernel_for(release), cap.setup_data)
    return [(e.start, e.size, e.type) for e in sim.table]


@needs_tools
def test_dollar_in_default_grub_and_grub_cfg(tmp_path: Path) -> None:
    shutil.copytree(FIX / "debian12", tmp_path, dirs_exist_ok=True)
    grub = tmp_path / "etc" / "default" / "grub"
    cfg = tmp_path / "boot" / "grub" / "grub.cfg"
    grub.chmod(0o640)
    if os.geteuid() == 0:  # the owner is kept too (root can give the file away to test it)
        os.chown(grub, 65534, 65534)
    before = {p: p.read_bytes() for p in (grub, cfg)}
    paths = ("etc/default/grub", "boot/grub/grub.cfg")

    shown = cli("--diff", *paths, cwd=tmp_path)
    assert shown.returncode == 1, shown.stderr  # exit as lint: MM501 is there
    assert '+GRUB_CMDLINE_LINUX_DEFAULT="quiet memmap=4G\\\\\\$12G"' in shown.stdout
    assert "memmap=4G\\$12G\n" in shown.stdout  # grub.cfg's spelling
    assert all(p.read_bytes() == b for p, b in before.items())  # --diff changes nothing

    assert "MM501" in codes(cli("--format", "json", *paths, cwd=tmp_path))
    fixed = cli("--fix", "--format", "json", *paths, cwd=tmp_path)
    assert "fixed MM501" in fixed.stderr
    assert "MM501" not in codes(fixed)  # the lint after the fix
    assert stat.S_IMODE(grub.stat().st_mode) == 0o640
    if os.geteuid() == 0:
        assert (grub.stat().st_uid, grub.stat().st_gid) == (65534, 65534)

    # sh keeps one backslash for GRUB, GRUB gives the kernel the $.
    assert dash_value(grub, "GRUB_CMDLINE_LINUX_DEFAULT") == "quiet memmap=4G\\$12G"
    mkconfig_check(grub)
    grub_check(cfg)
    for entry in load_boot_config(cfg).entries:
        if "recovery" not in entry.title:  # recovery entries never had it (MM502)
            assert entry.cmdline.endswith(" quiet memmap=4G$12G"), entry.title
    # The kernel does with the fixed line exactly what the author meant.
    meant = "ro console=ttyS0,115200n8 quiet memmap=4G$12G"
    got = load_boot_config(cfg).entries[0].cmdline.split(" ", 2)[2]
    assert e820(got, "6.1.0-28-amd64") == e820(meant, "6.1.0-28-amd64")
    assert cli("--diff", *paths, cwd=tmp_path).stdout == ""  # nothing left to fix


def test_bls_dollar_has_only_the_unsafe_percent_form(tmp_path: Path) -> None:
    shutil.copytree(FIX / "rhel8", tmp_path, dirs_exist_ok=True)
    env = tmp_path / "boot" / "grub2" / "grubenv"
    size = env.stat().st_size
    safe = cli("--diff", "boot/loader/entries", cwd=tmp_path)
    assert safe.stdout == ""
    assert "1 more fix(es) available with --unsafe-fixes" in safe.stderr
    fixed = cli("--fix", "--unsafe-fixes", "--format", "json", "boot/loader/entries", cwd=tmp_path)
    assert "fixed MM501 (unsafe)" in fixed.stderr
    assert "MM501" not in codes(fixed)
    assert env.stat().st_size == size == 1024  # the environment block keeps its size
    assert "memmap=4G%12G+2\n" in env.read_text()
    # parse_memmap_one: the % form adds the same reserved range as the $ form.
    assert e820("memmap=4G%12G+2", "4.18.0") == e820("memmap=4G$12G", "4.18.0")


def _cfg(tmp_path: Path, release: str, params: str) -> Path:
    """The debian12 grub.cfg booting ``release`` with ``params`` instead of its memmap=."""
    text = (FIX / "debian12" / "boot" / "grub" / "grub.cfg").read_text()
    for old in ("6.1.0-28-amd64", "6.1.0-27-amd64"):
        text = text.replace(old, release)
    text = text.replace("memmap=4G$12G", params)
    cfg = tmp_path / "boot" / "grub" / "grub.cfg"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(text)
    return cfg


@needs_tools
def test_duplicate_ramoops_parameters_collapse(tmp_path: Path) -> None:
    d = tmp_path / "etc" / "default"
    d.mkdir(parents=True)
    grub = d / "grub"
    grub.write_text(
        'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet ramoops.mem_name=old '
        'reserve_mem=8M:4096:oops ramoops.mem_name=oops"\nGRUB_CMDLINE_LINUX=""\n'
    )
    fixed = cli("--fix", "etc/default/grub", cwd=tmp_path)
    assert "fixed MM401: remove ramoops.mem_name=old" in fixed.stderr
    assert dash_value(grub, "GRUB_CMDLINE_LINUX_DEFAULT") == (
        "quiet reserve_mem=8M:4096:oops ramoops.mem_name=oops"
    )
    mkconfig_check(grub)


@needs_tools
def test_rename_too_long_name_with_its_consumers_is_unsafe(tmp_path: Path) -> None:
    cfg = _cfg(
        tmp_path,
        "6.12.0-1-amd64",
        "reserve_mem=8M:4096:pstore_oops_buffer ramoops.mem_name=pstore_oops_buffer",
    )
    assert cli("--fix", "boot/grub/grub.cfg", cwd=tmp_path).stdout.count("MM202")
    assert "pstore_oops_buffer" in cfg.read_text()  # unsafe: not without the flag
    fixed = cli("--fix", "--unsafe-fixes", "--format", "json", "boot/grub/grub.cfg", cwd=tmp_path)
    assert "rename the region 'pstore_oops_buffer' to 'pstore_oops_buf'" in fixed.stderr
    assert not {"MM202", "MM401"} & set(codes(fixed))
    grub_check(cfg)
    line = load_boot_config(cfg).entries[0].cmdline
    assert "reserve_mem=8M:4096:pstore_oops_buf ramoops.mem_name=pstore_oops_buf" in line


@needs_tools
def test_wildcard_migrates_to_reserve_mem_on_6_12(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, "6.12.0-1-amd64", "memmap=12M*4096:oops ramoops.mem_name=oops")
    before = cli("--format", "json", "boot/grub/grub.cfg", cwd=tmp_path)
    assert "MM105" in codes(before)
    fixed = cli("--fix", "--unsafe-fixes", "--format", "json", "boot/grub/grub.cfg", cwd=tmp_path)
    assert "fixed MM105 (unsafe)" in fixed.stderr
    assert "MM105" not in codes(fixed)
    grub_check(cfg)
    line = load_boot_config(cfg).entries[0].cmdline
    assert line.endswith(" quiet reserve_mem=12M:4096:oops ramoops.mem_name=oops")
    # The memory limit the wildcard set on 6.12 is gone: the firmware's RAM is all there.
    assert e820(line.split(" ", 1)[1], "6.12.0-1-amd64") == e820("", "6.12.0-1-amd64")


@needs_tools
def test_split_value_joined(tmp_path: Path) -> None:
    d = tmp_path / "etc" / "default"
    d.mkdir(parents=True)
    grub = d / "grub"
    grub.write_text(
        'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="quiet\n    ramoops.mem_name=oops"\n'
        'GRUB_CMDLINE_LINUX_DEFAULT="splash"\n'
    )
    assert "MM505" in codes(cli("--format", "json", "etc/default/grub", cwd=tmp_path))
    fixed = cli("--fix", "--format", "json", "etc/default/grub", cwd=tmp_path)
    assert "fixed MM505: join GRUB_CMDLINE_LINUX's value on one line" in fixed.stderr
    assert "MM505" not in codes(fixed)
    assert dash_value(grub, "GRUB_CMDLINE_LINUX") == "quiet ramoops.mem_name=oops"
    mkconfig_check(grub)
    [normal, *_] = load_boot_config(grub).entries
    assert normal.cmdline.endswith(" ro quiet ramoops.mem_name=oops splash")


@needs_tools
def test_split_memmap_list_joins_only_with_unsafe_fixes(tmp_path: Path) -> None:
    d = tmp_path / "etc" / "default"
    d.mkdir(parents=True)
    grub = d / "grub"
    grub.write_text('GRUB_CMDLINE_LINUX="memmap=16G!4G,\n4G!20G"\n')
    assert cli("--fix", "etc/default/grub", cwd=tmp_path).returncode in (0, 1)
    assert "\n4G!20G" in grub.read_text()  # a guess: not a safe fix
    cli("--fix", "--unsafe-fixes", "etc/default/grub", cwd=tmp_path)
    assert grub.read_text() == 'GRUB_CMDLINE_LINUX="memmap=16G!4G,4G!20G"\n'
    mkconfig_check(grub)
    assert load_boot_config(grub).entries[0].cmdline.endswith(" ro memmap=16G!4G,4G!20G")


@needs_tools
def test_fix_runs_again_on_what_a_fix_uncovers(tmp_path: Path) -> None:
    # The memmap= after the line break never reached the kernel, so its lost $ shows only once
    # the line is joined: --fix applies the join, reads the file again, then escapes the $.
    d = tmp_path / "etc" / "default"
    d.mkdir(parents=True)
    grub = d / "grub"
    grub.write_text('GRUB_CMDLINE_LINUX="quiet\n    memmap=4G\\$12G"\n')
    fixed = cli("--fix", "--format", "json", "etc/default/grub", cwd=tmp_path)
    assert "fixed MM505" in fixed.stderr and "fixed MM501" in fixed.stderr
    assert not {"MM501", "MM505"} & set(codes(fixed))
    assert dash_value(grub, "GRUB_CMDLINE_LINUX") == "quiet memmap=4G\\$12G"
    mkconfig_check(grub)


@needs_tools
def test_fix_lands_in_the_drop_in_that_wrote_it(tmp_path: Path) -> None:
    # grub-mkconfig sources grub.d/*.cfg after /etc/default/grub: the fix edits the drop-in.
    d = tmp_path / "etc" / "default"
    (d / "grub.d").mkdir(parents=True)
    (d / "grub").write_text('GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n')
    dropin = d / "grub.d" / "50-mem.cfg"
    dropin.write_text(
        'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT memmap=4G\\$12G '
        'ramoops.mem_name=a ramoops.mem_name=b"\n'
    )
    fixed = cli("--fix", "--format", "json", "etc/default/grub.d/50-mem.cfg", cwd=tmp_path)
    assert "etc/default/grub.d/50-mem.cfg: fixed MM501" in fixed.stderr
    assert not {"MM501"} & set(codes(fixed))
    assert (d / "grub").read_text() == 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n'
    assert DASH is not None
    script = '. "$1"; . "$2"; printf %s "$GRUB_CMDLINE_LINUX_DEFAULT"'
    both = subprocess.run(
        [DASH, "-c", script, "sh", str(d / "grub"), str(dropin)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert both.stdout == "quiet memmap=4G\\$12G ramoops.mem_name=b"


def test_every_fixture_converges(tmp_path: Path) -> None:
    # Every real-shaped boot file of the fixtures: the safe fixes, written, leave no safe fix
    # behind, and no MM501 on the GRUB files (the safe kind every one of them can get).
    from memmap_lint.engine.bootlint import is_boot_path
    from memmap_lint.engine.config import Config
    from memmap_lint.engine.fixes import plan_paths, write
    from memmap_lint.engine.lint import Linter
    from memmap_lint.engine.pipeline import Options
    from memmap_lint.engine.pipeline import run as lint_run
    from memmap_lint.engine.registry import load_rules

    root = tmp_path / "fixtures"
    shutil.copytree(FIX, root / "boot")
    shutil.copytree(FIX.parent / "bootlint", root / "bootlint")
    files = sorted(
        str(p)
        for p in root.rglob("*")
        if p.is_file() and p.parent.name != "grub.d" and is_boot_path(str(p), None)
    )
    assert len(files) >= 15
    linter = Linter(load_rules([]), Config())
    for f in files:
        planned, errors = plan_paths(linter, [f], None, False)
        assert not errors, f
        write(planned)
        again, _ = plan_paths(linter, [f], None, False)
        assert not any(p.outcome.applied for p in again), f
        if Path(f).name in ("grub", "grub.cfg"):  # BLS and grubenv: only the unsafe % form
            results = lint_run([f], Options()).results
            assert not [x for r in results for x in r.findings if x.code == "MM501"], f


def test_fixes_follow_rule_selection_and_inline_disables(tmp_path: Path) -> None:
    # As ruff: only the selected rules' fixes, and none on a line whose finding is silenced.
    d = tmp_path / "etc" / "default"
    d.mkdir(parents=True)
    grub = d / "grub"
    text = 'GRUB_CMDLINE_LINUX="memmap=4G\\$12G ramoops.mem_name=a ramoops.mem_name=b"\n'
    grub.write_text(text)
    only = cli("--diff", "--select", "MM401", "etc/default/grub", cwd=tmp_path)
    assert "-GRUB_CMDLINE" in only.stdout and "4G\\\\\\$12G" not in only.stdout
    assert "would fix MM501" not in only.stderr and "would fix MM401" in only.stderr
    grub.write_text("# memmap-lint: disable=MM501\n" + text)
    quiet = cli("--diff", "etc/default/grub", cwd=tmp_path)
    assert "would fix MM501" not in quiet.stderr and "would fix MM401" in quiet.stderr


def test_bls_fixes_in_rounds(tmp_path: Path) -> None:
    # BLS options are the kernel's words as they are: the duplicate consumer goes first, the
    # rename that edits the same words follows in the next round of --fix.
    shutil.copytree(FIX / "fedora", tmp_path, dirs_exist_ok=True)
    [conf] = sorted((tmp_path / "boot" / "loader" / "entries").glob("*6.7.4*.conf"))
    extra = " ramoops.mem_name=pstore_oops_buffer" * 2
    conf.write_text(
        conf.read_text().replace(
            "ramoops.mem_name=oops", f"reserve_mem=8M:4096:pstore_oops_buffer{extra}"
        )
    )
    args = ("--unsafe-fixes", "--kernel", "6.12.0-1-amd64", "boot/loader/entries")
    shown = cli("--diff", *args, cwd=tmp_path)
    assert "next round MM202: rename the region 'pstore_oops_buffer'" in shown.stderr
    fixed = cli("--fix", "--format", "json", *args, cwd=tmp_path)
    assert "fixed MM202 (unsafe)" in fixed.stderr
    assert not {"MM202", "MM401"} & set(codes(fixed))
    options = next(x for x in conf.read_text().splitlines() if x.startswith("options "))
    assert options.endswith(
        " quiet reserve_mem=12M:4096:oops reserve_mem=8M:4096:pstore_oops_buf"
        " ramoops.mem_name=pstore_oops_buf"
    )


def test_a_file_fix_cannot_read_is_one_error(tmp_path: Path) -> None:
    """The fixer and the linter both read it: the error is printed once (it came twice)."""
    (tmp_path / "entries").mkdir()
    for flag in ("--fix", "--diff"):
        p = cli(flag, "--kind", "bls", "entries", cwd=tmp_path)
        assert p.returncode == 2
        assert p.stderr.splitlines() == ["entries: MM505 directory holds no BLS *.conf entries"]
