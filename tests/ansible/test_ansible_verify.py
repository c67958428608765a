"""The Ansible post-reboot check with the real ansible-playbook over real sshd on 127.0.0.1.

Each host is an OpenSSH server whose mount namespace shows a recorded boot of Debian's 6.12
under QEMU (tests/fixtures/postboot, laid out by ``postboot_boot.host_tree``); Ansible connects
with its ssh connection plugin, runs the facts module on the "host" and verify on the
controller. Expectations are the recorded boots' own (tests/engine/test_verify_engine.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ansible_harness as a
import pytest
import sshd_harness as h
from postboot_boot import SCENARIOS, console_facts, host_tree

pytestmark = [
    pytest.mark.ansible,
    pytest.mark.sshd,
    pytest.mark.skipif(a.ansible_missing() is not None, reason=str(a.ansible_missing())),
    pytest.mark.skipif(h.sshd_available() is not None, reason=str(h.sshd_available())),
]

RECORDED = Path(__file__).parent.parent / "fixtures" / "postboot"
BOOTS = ("good", "typo")

VERIFY_ONLY = """
- hosts: all
  gather_facts: false
  tasks:
    - memmap_lint.preflight.facts:
    - memmap_lint.preflight.verify:
      register: verified
      ignore_errors: true
    - ansible.builtin.copy:
        content: "{{ verified | to_json }}"
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
      delegate_to: localhost
"""


@dataclass
class Lab:
    tmp: Path
    inventory: Path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("ansible-verify")
    key = h.keygen(tmp / "user")
    servers: dict[str, h.Server] = {}
    try:
        for name in BOOTS:
            facts = console_facts((RECORDED / f"{name}.console").read_text())
            tree = host_tree(facts, tmp / "hosts" / name)
            servers[name] = h.start_server(name, tmp / "servers" / name, [key], tree)
        known = tmp / "known_hosts"
        known.write_text("".join(f"{line}\n" for s in servers.values() for line in s.known_hosts_lines()))
        lines = ["[fleet]"]
        for name, s in servers.items():
            params = SCENARIOS[name]
            lines.append(
                f"{name} ansible_host=127.0.0.1 ansible_port={s.port()} "
                f"kernel_cmdline='console=ttyS0 panic=-1 nokaslr quiet {params}'"
            )
        lines += [
            "",
            "[fleet:vars]",
            "ansible_user=root",
            f"ansible_ssh_private_key_file={key}",
            f"ansible_ssh_common_args='-o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes'",
            "ansible_become=false",
            "",
        ]
        inventory = tmp / "inventory.ini"
        inventory.write_text("\n".join(lines))
        yield Lab(tmp, inventory)
    finally:
        for server in servers.values():
            server.stop()


def test_verify_task_reports_each_boot(lab: Lab, tmp_path: Path) -> None:
    play = tmp_path / "verify.yml"
    play.write_text(VERIFY_ONLY)
    res = a.run(
        ["ansible-playbook", "-i", str(lab.inventory), str(play), "-e", f"out_dir={tmp_path}"],
        tmp_path,
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out  # ignore_errors: the failed verify is data
    good = json.loads((tmp_path / "good.json").read_text())
    typo = json.loads((tmp_path / "typo.json").read_text())
    assert good["failed"] is False, good["msg"]
    assert sorted(f["code"] for f in good["findings"]) == ["MM708", "MM708"]
    oops = next(r for r in good["verify"]["regions"] if r["name"] == "oops")
    assert oops["actual"] == 0x3DE00000 and oops["state"] == "present"
    assert typo["failed"] is True
    assert "MM703" in [f["code"] for f in typo["findings"]]
    assert "ramoops.mem_name=opps names no reserved region" in typo["msg"]


def test_example_loop_preflight_change_verify(lab: Lab, tmp_path: Path) -> None:
    """examples/ansible/reboot-verify.yml on the good host (the reboot itself is skipped: the
    recorded boot is the boot that runs after it)."""
    example = a.REPO / "examples" / "ansible" / "reboot-verify.yml"
    grub = str(tmp_path / "grub-{{ inventory_hostname }}")
    res = a.run(
        [
            "ansible-playbook", "-i", str(lab.inventory), str(example), "-e", "target=good",
            "-e", f"grub_default_path={grub}", "-e", "run_update_grub=false",
            "-e", "run_reboot=false", "-e", "dialect=mainline",
        ],
        tmp_path,
    )  # fmt: skip
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert (tmp_path / "grub-good").is_file()
    assert re.search(r"memmap-lint verify: 2 finding\(s\) on good, none at or above 'warning'", out)


def test_documented_options_are_the_argument_spec(tmp_path: Path) -> None:
    import importlib.util

    res = a.run(["ansible-doc", "--json", "memmap_lint.preflight.verify"], tmp_path)
    options = json.loads(res.stdout)["memmap_lint.preflight.verify"]["doc"]["options"]
    path = a.REPO / "ansible_collections/memmap_lint/preflight/plugins/action/verify.py"
    loaded = importlib.util.spec_from_file_location("memmap_lint_verify_action", path)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    spec = module.ARGUMENT_SPEC
    assert set(options) == set(spec)
    for name, want in spec.items():
        for key in ("type", "default", "choices", "elements"):
            assert options[name].get(key) == want.get(key), (name, key)
