"""The command line end to end, as a user runs it (a real process each time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

FIX = Path(__file__).parent.parent / "fixtures"
R7625 = FIX / "e820" / "dell-poweredge-r7625-256g.txt"


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def _inventory(
    tmp_path: Path, cmdline: str, kernel: str = "6.1.0-28-amd64", extra: str = ""
) -> Path:
    inv = tmp_path / "inv.yaml"
    inv.write_text(
        textwrap.dedent(f"""\
        all:
          vars:
            kernel: {kernel}
            kernel_cmdline: "{cmdline}"
          hosts:
            h1:
              e820: {R7625}
        {extra}""")
    )
    return inv


def test_simulate_rfc_shows_both_regions_and_their_overlap() -> None:
    p = run(
        "simulate",
        "--e820",
        str(R7625),
        "--cmdline",
        "memmap=12M*4096:oops memmap=12M*4096:trace ramoops.mem_name=oops",
        "--dialect",
        "rfc",
    )
    assert p.returncode == 1, p.stderr  # the overlap is a finding
    assert "oops" in p.stdout and "trace" in p.stdout
    assert "share" in p.stdout and "the same memory" in p.stdout


def test_simulate_stock_drops_the_ram() -> None:
    p = run(
        "simulate", "--e820", str(R7625), "--cmdline", "memmap=12M*4096:oops", "--kernel", "6.1.0"
    )
    assert p.returncode == 1, p.stderr
    assert "MM105" in p.stdout
    assert "every RAM byte at or above 0xc00000" in p.stdout
    assert "unsupported" in p.stdout


def test_simulate_json_contract() -> None:
    p = run(
        "simulate",
        "--e820",
        str(R7625),
        "--cmdline",
        "memmap=12M*4096:oops",
        "--dialect",
        "rfc",
        "--format",
        "json",
    )
    data = json.loads(p.stdout)
    assert data["schema"] == "memmap-lint/report/v1"
    host = data["hosts"][0]
    assert host["dialect"] == "rfc" and host["panic"] is None
    assert host["e820"][0] == {
        "start": 0x100,
        "end": 0x8EFFF,
        "type": "usable",
    }  # the capture's first line
    region = host["regions"][0]
    assert {k: region[k] for k in ("name", "size", "align", "status", "param")} == {
        "name": "oops",
        "size": 12 << 20,
        "align": 4096,
        "status": "placed",
        "param": "memmap=12M*4096:oops",
    }
    assert isinstance(region["start"], int)
    assert set(data["summary"]) == {"hosts", "error", "warning", "info"}


def test_simulate_clean_exits_0() -> None:
    p = run("simulate", "--e820", str(R7625), "--cmdline", "ro quiet", "--kernel", "6.1.0")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "physical RAM map (unchanged)" in p.stdout


def test_simulate_bad_capture_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.txt"
    bad.write_text("hello\nworld\n")
    p = run("simulate", "--e820", str(bad), "--cmdline", "ro")
    assert p.returncode == 2
    assert "MM602" in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_lint_exit_codes_and_fail_on(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "ro memmap=12M*4096:oops")
    p = run(str(inv))
    assert p.returncode == 1, p.stderr
    assert "MM105" in p.stdout
    assert run(str(inv), "--ignore", "MM").returncode == 0  # every rule ignored
    assert run(str(inv), "--ignore", "MM9").returncode == 2  # a selector that names no rule
    clean = _inventory(tmp_path, "ro quiet")
    assert run(str(clean)).returncode == 0


def test_lint_bad_inventory_exit_2(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text("all:\n  vars:\n    kernel_cmdline: 12\n")
    p = run(str(inv))
    assert p.returncode == 2
    assert (
        p.stderr.strip() == f"{inv}:3:21: MM604 all.vars.kernel_cmdline: 12 is not of type 'string'"
    )


def test_output_file_written_atomically(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "ro memmap=12M*4096:oops")
    out = tmp_path / "report.json"
    out.write_text("old")
    p = run(str(inv), "--format", "json", "--output", str(out))
    assert p.returncode == 1 and p.stdout == ""
    data = json.loads(out.read_text())
    assert data["findings"][0]["host"] == "h1"
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".memmap-lint-")]


def test_rules_list_and_explain() -> None:
    p = run("rules")
    assert p.returncode == 0 and "MM105" in p.stdout and "wildcard-unsupported" in p.stdout
    p = run("rules", "--explain", "MM105")
    for section in ("What it finds", "Why it matters", "Example", "How to fix"):
        assert section in p.stdout
    data = json.loads(run("rules", "--format", "json").stdout)
    assert any(r["code"] == "MM105" for r in data)
    assert run("rules", "--explain", "MM999").returncode == 2


def test_schema_command() -> None:
    data = json.loads(run("schema").stdout)
    assert "kernel_cmdline" in data["$defs"]["vars"]["properties"]


USER_RULE = '''\
"""A site rule: forbid quiet.

What it finds:
    quiet on the command line.
Why it matters:
    We want to see the boot.
Example:
    ro quiet
How to fix:
    Remove quiet.
"""
from memmap_lint.rule import Hit

CODE = "MM901"
NAME = "no-quiet"
SEVERITY = "warning"
NEEDS_E820 = False


def check(ctx):
    for p in ctx.cmdline.named("quiet"):
        yield Hit("quiet hides the boot log", param=p)
'''


def test_rules_dir_plugin(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "no_quiet.py").write_text(USER_RULE)
    inv = _inventory(tmp_path, "ro quiet")
    p = run(str(inv), "--rules-dir", str(tmp_path / "rules"))
    assert p.returncode == 1 and "MM901" in p.stdout
    assert "MM901" in run("rules", "--rules-dir", str(tmp_path / "rules")).stdout


def test_rules_dir_module_with_a_syntax_error_is_located(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "bad.py").write_text("CODE = 'MM902'\ndef check(:\n")
    p = run(str(_inventory(tmp_path, "ro")), "--rules-dir", str(tmp_path / "rules"))
    where = tmp_path / "rules" / "bad.py"
    assert p.returncode == 2
    assert p.stderr == f"{where}:2:11: MM001 rule module failed to load: invalid syntax\n"


def test_entry_point_plugin(tmp_path: Path) -> None:
    """A site package registering rules through the memmap_lint.rules entry-point group."""
    site = tmp_path / "site"
    (site / "site_rules").mkdir(parents=True)
    (site / "site_rules" / "__init__.py").write_text(USER_RULE)
    dist = site / "site_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: site-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[memmap_lint.rules]\nno-quiet = site_rules\n")
    inv = _inventory(tmp_path, "ro quiet")
    env = {"PYTHONPATH": str(site)}
    p = run(str(inv), env=env)
    assert p.returncode == 1 and "MM901" in p.stdout


@pytest.mark.parametrize("fmt", ["sarif", "junit", "github", "text", "json"])
def test_every_format_renders(tmp_path: Path, fmt: str) -> None:
    inv = _inventory(tmp_path, "ro memmap=12M*4096:oops")
    p = run(str(inv), "--format", fmt)
    assert p.returncode == 1 and p.stdout and "Traceback" not in p.stderr


def test_options_may_come_before_the_paths(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "ro memmap=12M*4096:oops")
    p = run("--format", "json", str(inv))
    assert p.returncode == 1, p.stderr
    assert json.loads(p.stdout)["findings"]


def test_output_file_mode_follows_the_umask(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "ro quiet")
    out = tmp_path / "report.txt"
    old = os.umask(0o022)
    try:
        run(str(inv), "--output", str(out))
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644


def test_missing_capture_points_at_the_inventory(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text("all:\n  hosts:\n    h: {e820: nope.txt}\n")
    p = run(str(inv))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.startswith(f"{inv}:3:15: MM602 host h: e820 (")


def test_broken_config_is_one_located_line(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "ro quiet")
    (tmp_path / ".memmap-lint.yaml").write_text("select: [MM1\n")
    p = run(str(inv))
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        f"{tmp_path / '.memmap-lint.yaml'}:2:1: MM003 invalid YAML: expected ',' or ']', but got '<stream end>'"
    ]
    bad = tmp_path / "site.toml"
    bad.write_text("[tool.memmap-lint]\nselect = [\n")
    p = run(str(inv), "--config", str(bad))
    assert p.returncode == 2 and p.stderr.startswith(f"{bad}:") and "invalid TOML" in p.stderr


@pytest.mark.parametrize(("collect", "paused"), [("never", True), ("missing", False)])
def test_lint_pauses_the_cycle_collector_unless_it_collects(
    collect: str, paused: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    import memmap_lint.engine.pipeline as pipeline
    from memmap_lint.cli.main import main

    seen: list[bool] = []
    real = pipeline.run

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "run", watched)
    inventory = Path(__file__).parent.parent.parent / "inventory" / "prod.yaml"
    report = tmp_path / "report.json"
    code = main([str(inventory), "--collect", collect, "--format", "json", "--output", str(report)])
    assert code in (0, 1) and json.loads(report.read_text())["hosts"]
    assert seen == [not paused] and gc.isenabled()  # SSH connections leave cycles: not paused
