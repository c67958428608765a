"""Inventories: Ansible's structure and precedence, schema errors with their positions, patterns.

Precedence expectations follow Ansible's documented rule ("How variables are merged": all <
parent group < child group < host; groups of the same depth merged in alphabetical order, the
last one winning; group_vars/ and host_vars/ files over the inventory file's own vars).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from memmap_lint.errors import LintError, LintErrors
from memmap_lint.inventory.load import load_inventory
from memmap_lint.inventory.reader import schema
from memmap_lint.inventory.select import select_hosts

INV = Path(__file__).parent.parent / "fixtures" / "inventory"


def test_precedence() -> None:
    inv = load_inventory(INV / "precedence.yaml")
    db1, db2, web1, solo = (inv.hosts[n] for n in ("db-01", "db-02", "web-01", "solo"))
    assert db1.get("kernel_cmdline") == "ro memmap=12M*4096:oops"  # child group over parent
    assert db1.get("kernel") == "6.12.0-1-amd64"  # host over all
    assert db1.get("site") == "eu"
    assert db2.get("site") == "web"  # eu and web are both depth 1: web sorts later, wins
    assert db2.get("kernel_cmdline") == "ro memmap=12M*4096:oops"  # db (depth 2) over web
    assert web1.get("site") == "zeta"
    assert web1.get("kernel_cmdline") == "ro host"
    assert solo.get("site") == "all" and "ungrouped" in solo.groups
    assert db2.groups[0] == "all" and set(db2.groups) == {"all", "eu", "web", "db"}


def test_positions_of_variables() -> None:
    inv = load_inventory(INV / "precedence.yaml")
    var = inv.hosts["db-01"].vars["kernel_cmdline"]
    # `            kernel_cmdline: "ro memmap=12M*4096:oops"` is line 12; the text after the quote
    assert (var.pos.line, var.pos.column) == (12, 30)
    assert var.column_of(3) == (12, 33)  # the 'm' of memmap
    assert inv.hosts["db-01"].pos.line == 14


def test_directory_with_group_and_host_vars() -> None:
    inv = load_inventory(INV / "dir")
    assert inv.hosts["db-01"].get("kernel") == "6.12.0-1-amd64"
    assert "reserve_mem=" in inv.hosts["db-01"].get("kernel_cmdline")
    assert inv.hosts["db-02"].get("kernel_cmdline") == "ro"  # host_vars/ wins
    assert inv.hosts["db-02"].vars["kernel_cmdline"].pos.path.endswith("host_vars/db-02.yaml")


def test_every_schema_error_is_reported_with_its_place() -> None:
    with pytest.raises(LintErrors) as info:
        load_inventory(INV / "bad.yaml")
    found = {(e.code, e.line, e.column, e.message.split(":")[0]) for e in info.value.errors}
    assert found == {
        ("MM604", 3, 21, "all.vars.kernel_cmdline"),
        ("MM604", 8, 28, "all.children.db.hosts.db-01.kernel_features"),
        ("MM604", 9, 20, "all.children.db.hosts.db-01.dialect"),
        ("MM604", 11, 26, "all.children.db.hosts.db-02.ansible_port"),
        ("MM604", 12, 7, "all.children.db"),
    }
    assert all(e.path and e.path.endswith("bad.yaml") for e in info.value.errors)


@pytest.mark.parametrize(
    "text",
    [
        "all: [1, 2]",
        "all:\n  hosts: [a, b]\n",
        "all:\n  vars: {kernel: [",
        "- a\n- b\n",
        "all: {vars: {kernel: !!python/name:os.system x}}",
    ],
)
def test_broken_inventories_give_mm604(tmp_path: Path, text: str) -> None:
    p = tmp_path / "inv.yaml"
    p.write_text(text)
    with pytest.raises((LintError, LintErrors)) as info:
        load_inventory(p)
    errs = info.value.errors if isinstance(info.value, LintErrors) else [info.value]
    assert errs and all(e.code == "MM604" and e.path == str(p) and e.line for e in errs)


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("inv.yml", "all:\n  children:\n    web:\n      vars:\n        ansible_group_priority: high\n      hosts:\n        a:\n", (5, 33)),
        ("inv.ini", "[web]\na\n\n[web:vars]\nansible_group_priority=high\n", (5, 24)),
        ("inv.json", '{"web": {"hosts": ["a"], "vars": {"ansible_group_priority": "high"}}}\n', (1, 34)),
    ],
)  # fmt: skip
def test_a_group_priority_that_is_no_integer_is_mm604_in_every_format(
    tmp_path: Path, name: str, text: str, where: tuple[int, int]
) -> None:
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises((LintError, LintErrors)) as info:
        load_inventory(p)
    errs = info.value.errors if isinstance(info.value, LintErrors) else [info.value]
    assert [(e.code, e.path, e.line, e.column) for e in errs] == [("MM604", str(p), *where)]
    assert errs[0].message.startswith("ansible_group_priority: invalid literal for int()")


def test_missing_inventory() -> None:
    with pytest.raises(LintError) as info:
        load_inventory(INV / "nope.yaml")
    assert info.value.code == "MM604"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("all", {"db-01", "db-02", "web-01", "solo"}),
        ("db", {"db-01", "db-02"}),
        ("eu:!db-02", {"db-01"}),
        ("db-0*", {"db-01", "db-02"}),
        ("web,solo", {"db-02", "web-01", "solo"}),
        ("eu:&web", {"db-02"}),
        ("!db", {"web-01", "solo"}),
    ],
)
def test_host_patterns(pattern: str, expected: set[str]) -> None:
    inv = load_inventory(INV / "precedence.yaml")
    assert {h.name for h in select_hosts(inv, pattern)} == expected


def test_pattern_selecting_nothing_is_an_error() -> None:
    # nothing checked is never clean: Ansible's empty match becomes MM001 naming what exists
    inv = load_inventory(INV / "precedence.yaml")
    with pytest.raises(LintError) as err:
        select_hosts(inv, "nothing")
    assert err.value.code == "MM001" and "'nothing' selects no host" in err.value.message


def test_schema_is_valid_json_schema() -> None:
    import jsonschema

    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())


def test_the_cycle_collector_is_paused_while_reading_and_back_after(tmp_path: Path) -> None:
    import gc

    from memmap_lint.report.progress import Progress

    seen: list[bool] = []

    class Watch(Progress):
        """Notes whether the collector is on each time a host entry is read."""

        def advance(self, n: int = 1) -> None:
            seen.append(gc.isenabled())

    assert gc.isenabled()
    load_inventory(INV / "precedence.yaml", Watch())
    assert seen and not any(seen) and gc.isenabled()
    bad = tmp_path / "bad.yaml"
    bad.write_text("all:\n  hosts: [\n")
    with pytest.raises(LintErrors):
        load_inventory(bad)
    assert gc.isenabled()
    gc.disable()  # a caller that had it off keeps it off
    try:
        load_inventory(INV / "precedence.yaml")
        assert not gc.isenabled()
    finally:
        gc.enable()
