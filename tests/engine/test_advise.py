"""``memmap-lint advise`` on real captures (issue 8 item 3).

Expectations come from the RFC search semantics (the RFC patch's e820__region() and the kernel dialects: the
region is taken top-down from one usable entry, ``ALIGN_DOWN(end - size, align) >= start``), from
the memblock model, and from the linter itself: the suggested parameters must lint clean.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from memmap_lint.captures.parse import load_capture
from memmap_lint.cli.main import main

E820 = Path(__file__).parent.parent / "fixtures" / "e820"
SMALL = "asus-cuv4x-e-384m-2-4-23.txt"  # 384 MiB: one usable entry above 1 MiB
MID = "acer-travelmate-5735z-3g.txt"
BIG = "asus-f2a85-m-7g.txt"

MIB = 1 << 20


def _inventory(tmp_path: Path, rfc: str, mainline: str, migrating: str) -> Path:
    (tmp_path / "captures").mkdir()
    for m in (SMALL, MID, BIG):
        shutil.copyfile(E820 / m, tmp_path / "captures" / m)
    text = f"""all:
  vars: {{kernel: 6.1.0-28-amd64, kernel_cmdline: "ro quiet"}}
  children:
    db:
      vars:
        kernel: 6.8.0-41-rfc
        kernel_features: [memmap-wildcard, ramoops-builtin]
        kernel_cmdline: "{rfc}"
      hosts:
        db-small: {{e820: captures/{SMALL}}}
        db-mid: {{e820: captures/{MID}}}
        db-big-1: {{e820: captures/{BIG}}}
        db-big-2: {{e820: captures/{BIG}}}
    web:
      vars: {{kernel: 6.12.0-1-amd64, kernel_cmdline: "{mainline}"}}
      hosts:
        web-mid: {{e820: captures/{MID}}}
        web-big: {{e820: captures/{BIG}}}
    moving:
      vars: {{kernel: 6.12.0-1-amd64, kernel_cmdline: "{migrating}"}}
      hosts:
        mv-big: {{e820: captures/{BIG}, current_kernel: 6.8.0-41-rfc}}
    legacy:
      hosts:
        old-mid: {{e820: captures/{MID}}}
"""
    path = tmp_path / "fleet.yaml"
    path.write_text(text)
    return path


def _advise(path: Path, *extra: str) -> tuple[int, dict[str, object]]:
    out = path.parent / "advice.json"
    code = main(["advise", str(path), "--format", "json", "--output", str(out), *extra])
    return code, json.loads(out.read_text())


def _largest_rfc(capture: str, align: int) -> int:
    """The RFC search's largest fit, from the sanitized table: the best single usable entry."""
    best = 0
    for e in load_capture(E820 / capture).entries:
        if e.type != 1:
            continue
        start = (e.start + align - 1) // align * align
        best = max(best, e.start + e.size - start)
    return best // MIB * MIB


def test_largest_size_fitting_every_host_and_where_it_lands(tmp_path: Path) -> None:
    path = _inventory(
        tmp_path,
        "ro memmap=512M*4096:oops ramoops.mem_name=oops",
        "ro reserve_mem=12M:4096:oops ramoops.mem_name=oops",
        "ro memmap=12M*4096:oops ramoops.mem_name=oops",
    )
    code, advice = _advise(path)
    assert code == 1  # 512 MiB does not fit on the 384 MiB machine
    (oops,) = advice["regions"]  # type: ignore[misc]
    assert oops["name"] == "oops" and oops["requested"] == 512 * MIB
    rfc = next(d for d in oops["dialects"] if d["dialect"] == "rfc")
    assert rfc["largest"] == _largest_rfc(SMALL, 4096) < 512 * MIB
    assert rfc["smallest_host"] == "db-small"
    assert oops["advised"] <= rfc["largest"]
    # The two hosts with the same map share an address; the others land elsewhere.
    spots = {tuple(p["hosts"]): p["start"] for p in rfc["placements"]}
    assert spots[("db-big-1", "db-big-2")] is not None
    assert set(rfc["moved"]) == {"db-mid", "db-small"}
    assert advice["cmdline"]["rfc"] == (
        f"memmap={oops['advised'] // MIB}M*4096:oops ramoops.mem_name=oops"
    )
    assert advice["cmdline"]["mainline"].startswith(f"reserve_mem={oops['advised'] // MIB}M:4096")
    assert advice["migration"]["hosts"] == ["mv-big"]
    assert advice["migration"]["from"] == ["memmap=12M*4096:oops"]
    assert advice["hosts"]["stock"] == ["old-mid"]
    assert advice["failed"] == {}


def test_the_suggestion_lints_clean_on_every_host(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    first = _inventory(
        tmp_path / "a",
        "ro memmap=12M*4096:oops ramoops.mem_name=oops",
        "ro reserve_mem=12M:4096:oops ramoops.mem_name=oops",
        "ro memmap=12M*4096:oops ramoops.mem_name=oops",
    )
    code, advice = _advise(first, "--hosts", "!legacy")
    assert code == 0
    cmd = advice["cmdline"]
    assert cmd == {
        "rfc": "memmap=12M*4096:oops ramoops.mem_name=oops",
        "mainline": "reserve_mem=12M:4096:oops ramoops.mem_name=oops",
    }
    (tmp_path / "b").mkdir()
    second = _inventory(
        tmp_path / "b", f"ro {cmd['rfc']}", f"ro {cmd['mainline']}", f"ro {cmd['mainline']}"
    )
    # Each dialect's hosts with that dialect's line (across dialects the same map gives other
    # addresses by design: MM306 would compare an rfc host with a mainline one).
    for dialect, pattern in (("rfc", "db"), ("mainline", "web:moving")):
        out = tmp_path / f"report-{dialect}.json"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "memmap_lint.cli.main",
                str(second),
                "--hosts",
                pattern,
                "--format",
                "json",
                "--output",
                str(out),
                "--fail-on",
                "warning",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        report = json.loads(out.read_text())
        assert report["summary"]["hosts"] == (4 if dialect == "rfc" else 3)
        # The one warning left is the migration itself (MM409: mv-big runs the RFC kernel now and
        # its region moves on the first 6.11+ boot), which advise states in its migration text.
        bad = [
            (f["code"], f["host"])
            for f in report["findings"]
            if f["severity"] != "info" and (f["code"], f["host"]) != ("MM409", "mv-big")
        ]
        assert bad == [], bad
        assert proc.returncode == (1 if dialect == "mainline" else 0), proc.stderr


def test_group_selection_and_text(tmp_path: Path, capsys: object) -> None:
    path = _inventory(
        tmp_path,
        "ro memmap=12M*4096:oops ramoops.mem_name=oops",
        "ro reserve_mem=64M:2M:trace trace_instance=boot_map@trace",
        "ro quiet",
    )
    code, advice = _advise(path, "--group", "web")
    assert code == 0
    assert [r["name"] for r in advice["regions"]] == ["trace"]  # type: ignore[index]
    assert advice["cmdline"] == {
        "mainline": "reserve_mem=64M:2097152:trace trace_instance=boot_map@trace"
    }
    assert main(["advise", str(path), "--group", "nosuch"]) == 2
    assert main(["advise", str(path), "--group", "db"]) == 0
    text = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "Region 'oops': requested 12 MiB at alignment 4096: fits on every host" in text
    # The suggested line is the group's (the per-dialect merge of every host's consumers is gone
    # from the text; JSON keeps it as "cmdline").
    assert "  rfc, ramoops (4: " in text
    assert "\n    memmap=12M*4096:oops ramoops.mem_name=oops\n" in text


def test_two_wildcards_on_rfc_are_never_advised_as_fitting(tmp_path: Path) -> None:
    """The RFC appends reservations without carving the RAM entry: a second wildcard searches
    the same entry and ends at the same top (the RFC patch's memmap_named()), so the suggestion overlaps."""
    path = _inventory(
        tmp_path,
        "ro memmap=8M*4096:oops memmap=8M*4096:trace ramoops.mem_name=oops",
        "ro reserve_mem=8M:4096:oops reserve_mem=8M:4096:trace ramoops.mem_name=oops",
        "ro quiet",
    )
    code, advice = _advise(path, "--hosts", "db")
    assert code == 1
    failed = advice["failed"]
    assert isinstance(failed, dict) and set(failed["rfc"]) == {
        "db-small",
        "db-mid",
        "db-big-1",
        "db-big-2",
    }
    assert any("overlap" in n for n in advice["notes"])  # type: ignore[union-attr]
    code, advice = _advise(path, "--hosts", "web")
    assert code == 0 and not advice["failed"]  # memblock carves each region out: no overlap


def test_one_line_per_group_adds_no_finding_on_any_of_its_hosts() -> None:
    # Every group of the shipped fleet gets a line; on each of its hosts the line (in place of
    # the host's region parameters and consumers) adds no host finding with every rule, through
    # the real CLI's JSON and an independent lint of each host.
    import json as _json
    import subprocess as _sp
    import sys as _sys
    from dataclasses import replace as _replace

    from memmap_lint.engine.config import Config as _Config
    from memmap_lint.engine.hostinput import CaptureCache
    from memmap_lint.engine.inventory_input import collect_inputs
    from memmap_lint.engine.lint import Linter
    from memmap_lint.engine.registry import load_rules
    from memmap_lint.inventory.load import load_inventory
    from memmap_lint.kernel.cmdline import parse as _parse

    root = Path(__file__).parent.parent.parent
    out = _sp.run(
        [
            _sys.executable,
            "-m",
            "memmap_lint.cli.main",
            "advise",
            "--format",
            "json",
            "inventory/prod.yaml",
        ],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
    )
    assert out.returncode in (0, 1), out.stderr
    groups = _json.loads(out.stdout)["groups"]
    assert {g["dialect"] for g in groups} == {"rfc", "mainline"}
    inventory = load_inventory(root / "inventory" / "prod.yaml")
    inputs, _ = collect_inputs(inventory, list(inventory.hosts.values()), CaptureCache())
    by_name = {i.host.name: i for i in inputs}
    rules = load_rules([])
    host_rules = {r.code for r in rules if r.scope == "host"}
    for g in groups:
        assert g["params"], g
        assert re.search(r"(reserve_mem=|memmap=)0[*:]", g["params"]) is None  # never size 0
        assert "^notrace" not in g["params"]
        for host in g["hosts"]:
            inp = by_name[host]
            kept = [
                p.raw
                for p in inp.cmdline.params
                if p.key not in ("reserve_mem", "trace_instance")
                and not p.key.startswith("ramoops.")
                and not (p.key == "memmap" and "*" in (p.value or ""))
            ]
            base = _replace(inp, cmdline=_parse(" ".join(kept)))
            full = _replace(inp, cmdline=_parse(" ".join([*kept, g["params"]])))
            linter = Linter(rules, _Config())
            [before] = linter.lint_hosts([base])
            [after] = Linter(rules, _Config()).lint_hosts([full])
            new = sorted(
                {f.code for f in after.findings if f.code in host_rules}
                - {f.code for f in before.findings}
            )
            assert new == [], (
                host,
                g["params"],
                [f.message for f in after.findings if f.code in new],
            )


def test_diff_shows_the_group_line_as_a_change_to_a_boot_file(tmp_path: Path) -> None:
    # The fix machinery writes the advised line in place of the file's requests and consumers;
    # the file is read back (sh + grub-mkconfig's template) before the diff is shown.
    root = Path(__file__).parent.parent.parent
    grub = tmp_path / "etc" / "default" / "grub"
    grub.parent.mkdir(parents=True)
    text = (
        'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet memmap=12M*4096:oops '
        'memmap=12M*4096:trace ramoops.mem_name=oops"\nGRUB_CMDLINE_LINUX="console=ttyS0"\n'
    )
    grub.write_text(text)
    run = [sys.executable, "-m", "memmap_lint.cli.main", "advise", "inventory/prod.yaml"]
    one = subprocess.run(
        [*run, "--hosts", "db", "--format", "json"], capture_output=True, text=True, cwd=root
    )
    [group] = json.loads(one.stdout)["groups"]
    shown = subprocess.run(
        [*run, "--hosts", "db", "--diff", str(grub)], capture_output=True, text=True, cwd=root
    )
    assert shown.returncode == 0, shown.stderr
    assert f'+GRUB_CMDLINE_LINUX_DEFAULT="quiet {group["params"]}"\n' in shown.stdout
    assert grub.read_text() == text  # a diff changes nothing
    several = subprocess.run([*run, "--diff", str(grub)], capture_output=True, text=True, cwd=root)
    assert several.returncode == 2
    assert "needs exactly one group" in several.stderr and "Traceback" not in several.stderr


def test_a_host_without_a_capture_gets_no_line(tmp_path: Path) -> None:
    # Nothing checked is never a fit: the host is listed as not checked, in no group.
    path = tmp_path / "fleet.yaml"
    path.write_text(
        "all:\n  hosts:\n    bare:\n      kernel: 6.12.0-1-amd64\n"
        '      kernel_cmdline: "ro reserve_mem=8M:4096:oops ramoops.mem_name=oops"\n'
    )
    _code, advice = _advise(path)
    assert advice["groups"] == []
    assert advice["no_capture"] == ["bare"]
