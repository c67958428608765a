"""One fleet in Ansible's YAML, INI and ``ansible-inventory --list`` JSON: memmap-lint reads what
the real ``ansible-inventory`` reads (marker ``ansible``).

The expectations are the answers of ansible-core itself (the test venv's ``ansible-inventory``):
its hosts, the groups each host is in (from ``--list``), and each host's merged variables
(``--list`` hostvars and ``--host NAME``), with group_vars/ and host_vars/ (a directory of files,
a file without suffix, a ``.json``, and an ``all.yaml`` that Ansible never reads because
``all.yml`` exists), groups of the same depth (by name, and by ``ansible_group_priority``) and an
INI file's Python-literal values. The ``--list`` JSON is read back by Ansible through its
``script`` inventory plugin (a script printing it), which is what that format is for.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import ansible_harness as a
import pytest
from memmap_lint.inventory.load import load_inventory
from memmap_lint.inventory.model import Inventory

pytestmark = [
    pytest.mark.ansible,
    pytest.mark.skipif(a.ansible_missing() is not None, reason=str(a.ansible_missing())),
]

FLEET = Path(__file__).parent.parent / "fixtures" / "inventory-interop"


def ansible_list(source: Path, home: Path, *extra: str) -> dict[str, Any]:
    res = a.run(["ansible-inventory", "-i", str(source), "--list", *extra], home)
    assert res.returncode == 0, res.stderr
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def ansible_host(source: Path, home: Path, host: str) -> dict[str, Any]:
    res = a.run(["ansible-inventory", "-i", str(source), "--host", host], home)
    assert res.returncode == 0, res.stderr
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def groups_of_hosts(listing: dict[str, Any]) -> dict[str, set[str]]:
    """Every group each host is in, directly or through children, from ``--list`` output."""
    members: dict[str, set[str]] = {}

    def hosts_of(group: str, seen: frozenset[str] = frozenset()) -> set[str]:
        g = listing.get(group, {})
        out = set(g.get("hosts", []))
        for child in g.get("children", []):
            if child not in seen:
                out |= hosts_of(child, seen | {group})
        return out

    for group in listing:
        if group != "_meta":
            for h in hosts_of(group):
                members.setdefault(h, set()).add(group)
    return members


def assert_same(inv: Inventory, listing: dict[str, Any]) -> None:
    hostvars = listing["_meta"]["hostvars"]
    assert set(inv.hosts) == set(hostvars)
    groups = groups_of_hosts(listing)
    for name, host in inv.hosts.items():
        assert set(host.groups) == groups[name], name
        assert {k: d.value for k, d in host.vars.items()} == hostvars[name], name


@pytest.mark.parametrize("source", ["ini/hosts.ini", "yaml/hosts.yaml", "ini", "yaml"])
def test_same_hosts_groups_and_vars_as_ansible(source: str, tmp_path: Path) -> None:
    path = FLEET / source
    listing = ansible_list(path, tmp_path)
    inv = load_inventory(path)
    assert_same(inv, listing)
    # the points of the fixture, as Ansible answered them (so the fixture cannot go stale)
    web01, web02 = inv.hosts["web01"], inv.hosts["web02"]
    assert web01.get("region") == "prod"  # eu and prod are both depth 1: prod sorts later
    assert web02.get("rank") == "eu"  # prio (priority 0) sorts before eu (priority 1)
    assert web01.get("from_all") == "file"  # group_vars/all.yml over [all:vars]
    assert web01.get("tier") == "web-file"  # group_vars/web/ over group_vars/all.yml
    assert "shadowed" not in web01.vars  # all.yaml is not read when all.yml exists
    assert inv.hosts["web03"].get("site") == "host-file"  # host_vars/web03 (no suffix)
    assert inv.hosts["web04"].get("ansible_port") == 2222
    assert web01.get("ratio") == 1.5 and web01.get("quoted") == "6.10"
    for host in ("web01", "db-01"):
        assert {k: d.value for k, d in inv.hosts[host].vars.items()} == ansible_host(
            path, tmp_path, host
        )


@pytest.mark.parametrize("export", [False, True])
def test_list_json_read_as_ansible_reads_it(export: bool, tmp_path: Path) -> None:
    listing = ansible_list(FLEET / "ini" / "hosts.ini", tmp_path, *(["--export"] if export else []))
    text = json.dumps(listing, indent=4)
    out = tmp_path / "fleet.json"
    out.write_text(text)
    script = tmp_path / "fleet.sh"  # Ansible reads this format from an inventory script
    script.write_text(f"#!/bin/sh\ncat '{out}'\n")
    script.chmod(0o755)
    again = ansible_list(script, tmp_path)
    inv = load_inventory(out)
    assert_same(inv, again)
    if not export:  # plain --list carries every host's merged vars: nothing is lost
        assert_same(inv, listing)
    var = inv.hosts["web05"].vars["kernel_cmdline"]
    line = text.splitlines()[var.pos.line - 1]
    assert line[var.pos.column - 1 :].startswith("ro memmap=12M*4096:oops")
    # the finding's column for the 'm' of memmap (offset 3 of the value)
    assert line[var.column_of(3)[1] - 1 :].startswith("memmap=")


def test_json_without_suffix_and_a_directory_of_formats(tmp_path: Path) -> None:
    """A directory holding an INI file, a YAML file and --list JSON is read as Ansible reads it
    (a file without suffix that is not YAML is INI; ``.txt`` captures and ``.cfg`` are skipped)."""
    d = tmp_path / "inv"
    shutil.copytree(FLEET / "ini", d)
    (d / "hosts.ini").rename(d / "10-hosts")
    (d / "20-more.yaml").write_text("extra:\n  hosts:\n    extra-01: {kernel: 6.12.0-1-amd64}\n")
    (d / "ansible.cfg").write_text("[defaults]\nthis is not an inventory\n")
    listing = ansible_list(d, tmp_path)
    assert "extra-01" in listing["_meta"]["hostvars"]
    assert_same(load_inventory(d), listing)
