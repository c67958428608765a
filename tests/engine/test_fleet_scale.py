"""The fleet-scale fast paths keep every behaviour (issue 8 item 1).

- ``schemafast`` only ever says "valid" where jsonschema finds no error (hypothesis);
- the streamed JSON report is exactly ``json.dumps(report_json(...))`` (the JSON report contract in README.md);
- hosts that share groups share merged vars without leaking their own vars into each other, and
  every bad mapping still gets its MM604 with line:col.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from memmap_lint.engine.pipeline import Options, run
from memmap_lint.errors import LintErrors
from memmap_lint.inventory.load import load_inventory
from memmap_lint.inventory.reader import schema
from memmap_lint.inventory.schemafast import compile_members, compile_valid
from memmap_lint.report.json_report import render_json, report_json

E820 = Path(__file__).parent.parent / "fixtures" / "e820"

VARS = schema()["$defs"]["vars"]
QUICK = compile_valid(VARS)
MEMBERS = compile_members(VARS)
VALIDATOR = jsonschema.validators.validator_for(schema())(VARS)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["", "rfc", "stock", "mainline", "MM301", "mm-3", "22", "6.12.0-1-amd64"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
mappings = st.dictionaries(st.sampled_from(sorted(VARS["properties"])), values, max_size=6)


def test_the_shipped_schema_has_a_fast_path() -> None:
    assert QUICK is not None and MEMBERS is not None
    assert set(MEMBERS) == set(VARS["properties"])


@settings(max_examples=400, deadline=None)
@given(mappings)
def test_fast_path_says_valid_only_when_jsonschema_agrees(mapping: dict[str, Any]) -> None:
    assert QUICK is not None and MEMBERS is not None
    if QUICK(mapping):
        assert list(VALIDATOR.iter_errors(mapping)) == []
    if all(MEMBERS[k](v) for k, v in mapping.items()):
        assert list(VALIDATOR.iter_errors(mapping)) == []


def test_fast_path_passes_what_inventories_hold() -> None:
    assert QUICK is not None and MEMBERS is not None
    held: dict[str, Any] = {
        "kernel": "6.12.0-1-amd64",
        "kernel_cmdline": "ro reserve_mem=12M:4096:oops",
        "kernel_features": ["memmap-wildcard"],
        "dialect": "rfc",
        "e820": "captures/r740.e820",
        "hardware": {"product": "PowerEdge R740", "bios": 2.19},
        "memmap_lint_ignore": ["MM3", "region-does-not-fit"],
        "ansible_port": 22,
        "ansible_become": True,
    }
    assert QUICK(held)
    assert all(MEMBERS[k](v) for k, v in held.items())
    # Each of these is an error jsonschema reports: the fast path must not pass them.
    for bad in (
        {"ansible_port": True},
        {"ansible_port": 70000},
        {"ansible_port": "22x"},
        {"dialect": "RFC"},
        {"kernel": ""},
        {"memmap_lint_ignore": ["MM 3"]},
        {"hardware": {"bios": None}},
        {"kernel_features": "memmap-wildcard"},
    ):
        assert list(VALIDATOR.iter_errors(bad)), bad
        assert not QUICK(bad), bad
        assert not all(MEMBERS[k](v) for k, v in bad.items()), bad


def _fleet(tmp_path: Path, hosts: int) -> Path:
    maps = sorted(E820.glob("*.txt"))[:12]
    (tmp_path / "captures").mkdir()
    for m in maps:
        shutil.copyfile(m, tmp_path / "captures" / m.name)
    groups = {
        "db": (
            "6.8.0-41-rfc",
            "[memmap-wildcard]",
            "ro memmap=12M*4096:oops ramoops.mem_name=oops",
        ),
        "web": ("6.12.0-1-amd64", "[]", "ro reserve_mem=12M:4096:oops ramoops.mem_name=opps"),
        "old": ("6.1.0-28-amd64", "[]", "ro memmap=12M*4096:oops"),
    }
    lines = ["all:", "  vars: {kernel: 6.1.0-28-amd64}", "  children:"]
    for g, (kernel, feats, cmdline) in groups.items():
        lines += [
            f"    {g}:",
            f'      vars: {{kernel: {kernel}, kernel_features: {feats}, kernel_cmdline: "{cmdline}"}}',
            "      hosts:",
        ]
        for n in range(hosts):
            m = maps[(n * 5 + len(g)) % len(maps)]
            extra = ", hardware: {product: X1, bios: '1.0'}" if n % 4 == 1 else ""
            lines.append(f"        {g}-{n:03d}: {{e820: captures/{m.name}{extra}}}")
    path = tmp_path / "fleet.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_streamed_json_report_is_the_json_of_the_report(tmp_path: Path) -> None:
    done = run([str(_fleet(tmp_path, 30))], Options(entry_points=False))
    assert not done.errors
    results = done.shown
    assert any(r.findings for r in results)
    assert "".join(render_json(results)) == json.dumps(report_json(results)) + "\n"


def test_hosts_of_the_same_groups_keep_their_own_vars(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(
        "all:\n"
        "  vars: {kernel: 6.1.0-28-amd64, kernel_cmdline: ro}\n"
        "  children:\n"
        "    db:\n"
        "      vars: {kernel_cmdline: ro db}\n"
        "      hosts:\n"
        "        a: {kernel_cmdline: ro a}\n"
        "        b: {}\n"
        "        c: {kernel: 6.12.0-1-amd64}\n"
    )
    inv = load_inventory(path)
    got = {n: (h.get("kernel"), h.get("kernel_cmdline"), h.groups) for n, h in inv.hosts.items()}
    assert got == {
        "a": ("6.1.0-28-amd64", "ro a", ("all", "db")),
        "b": ("6.1.0-28-amd64", "ro db", ("all", "db")),
        "c": ("6.12.0-1-amd64", "ro db", ("all", "db")),
    }


def test_every_bad_mapping_still_gets_its_mm604(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(
        "all:\n"
        "  hosts:\n"
        "    a: {ansible_port: 70000}\n"
        "    b: {e820: ''}\n"
        "    c: {ansible_port: 22}\n"
        "    d:\n"
        "      dialect: RFC\n"
    )
    with pytest.raises(LintErrors) as info:
        load_inventory(path)
    got = [(e.code, e.line, e.column, e.message.split(":")[0]) for e in info.value.errors]
    assert got == [
        ("MM604", 3, 23, "all.hosts.a.ansible_port"),
        ("MM604", 4, 16, "all.hosts.b.e820"),  # after the opening quote
        ("MM604", 7, 16, "all.hosts.d.dialect"),
    ]
