"""The Ansible pre-flight with the real ansible-playbook (marker ``ansible``).

Expectations: MM105 on a stock 6.1 kernel and the RAM it leaves come from memmap-lint's own
simulation of ``memmap=12M*4096:oops`` (the bare ``memmap=nn`` branch of
arch/x86/kernel/e820.c parse_memmap_one: a memory limit at 12 MiB; arch/x86/kernel/e820.c e820_print_type()), on the real
Dell R7625 map in tests/fixtures/ansible/r7625.e820; MM306 from the rule's documented grouping
(same firmware map, other address). Ansible behaviour (check mode, run_once, unreachable hosts,
``register`` of failed tasks) is Ansible's documented one, observed here on the real thing.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import ansible_harness as a
import pytest
from memmap_lint.collect.facts import HostFacts, validate_facts

pytestmark = [
    pytest.mark.ansible,
    pytest.mark.skipif(a.ansible_missing() is not None, reason=str(a.ansible_missing())),
]

STOCK_BAD = "ro quiet memmap=12M*4096:oops ramoops.mem_name=oops"
GOOD_612 = "ro quiet reserve_mem=12M:4096:oops ramoops.mem_name=oops"


def _inventory(tmp: Path, hosts: dict[str, dict[str, str]]) -> Path:
    """An INI inventory of local-connection hosts carrying the R7625 capture."""
    shutil.copy(a.FIXTURES / "r7625.e820", tmp / "r7625.e820")
    lines = ["[fleet]"]
    for name, hv in hosts.items():
        lines.append(name + "".join(f" {k}={json.dumps(v)}" for k, v in hv.items()))
    lines += ["", "[fleet:vars]", "ansible_connection=local", "e820=r7625.e820", ""]
    path = tmp / "inventory.ini"
    path.write_text("\n".join(lines))
    return path


def _example(tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    inv = _inventory(
        tmp,
        {
            "stock61": {"kernel": "6.1.0-28-amd64", "kernel_cmdline": STOCK_BAD},
            "new612": {"kernel": "6.12.11-amd64", "kernel_cmdline": GOOD_612},
        },
    )
    grub = str(tmp / "grub-{{ inventory_hostname }}")
    return a.run(
        [
            "ansible-playbook", "-i", str(inv), str(a.EXAMPLE),
            "-e", f"grub_default_path={grub}", "-e", "run_update_grub=false", *extra,
        ],
        tmp,
    )  # fmt: skip


def _recap(out: str) -> dict[str, dict[str, int]]:
    recap: dict[str, dict[str, int]] = {}
    for m in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", out, re.M):
        recap[m[1]] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m[2])}
    return recap


def test_example_stops_the_stock_host_before_the_template_and_lets_the_good_one_through(
    tmp_path: Path,
) -> None:
    res = _example(tmp_path)
    out = res.stdout + res.stderr
    assert res.returncode == 2, out  # ansible-playbook: 2 = a host failed
    recap = _recap(res.stdout)
    assert recap["stock61"]["failed"] == 1 and recap["stock61"]["changed"] == 0
    assert recap["new612"]["failed"] == 0 and recap["new612"]["changed"] == 1
    # stopped before the template task: its file is not written; the good host's is
    assert not (tmp_path / "grub-stock61").exists()
    written = (tmp_path / "grub-new612").read_text()
    assert f'GRUB_CMDLINE_LINUX="{GOOD_612}"' in written
    # the message names the host, the parameter (at its place in the file) and the RAM lost
    stock_grub = tmp_path / "grub-stock61"
    assert "on stock61; the command line must not be installed" in out
    assert re.search(
        rf"{re.escape(str(stock_grub))}:7:\d+: MM105 error \(wildcard-unsupported\) "
        r"\[memmap=12M\*4096:oops\]",
        out,
    )
    assert "stock61: usable RAM: 11.6 MiB of 255.6 GiB (255.6 GiB lost)" in out


def test_check_mode_fails_the_same_and_writes_nothing(tmp_path: Path) -> None:
    res = _example(tmp_path, "--check")
    out = res.stdout + res.stderr
    recap = _recap(res.stdout)
    assert recap["stock61"]["failed"] == 1, out
    assert "MM105 error (wildcard-unsupported)" in out
    assert recap["new612"]["failed"] == 0
    assert not list(tmp_path.glob("grub-*"))  # check mode: the template task only predicts


FINDINGS_AS_DATA = """
- hosts: fleet
  gather_facts: false
  tasks:
    - name: check, keep going
      memmap_lint.preflight.check:
        cmdline: "{{ kernel_cmdline }}"
        kernel: "{{ kernel }}"
        e820: "{{ inventory_dir }}/{{ e820 }}"
      register: preflight
      ignore_errors: true
    - name: the findings are data
      ansible.builtin.assert:
        that:
          - preflight is failed
          - preflight.findings | map(attribute='code') | list == ['MM105', 'MM407']
          - preflight.findings[0].param == 'memmap=12M*4096:oops'
          - preflight.findings[0].severity == 'error'
          - preflight.findings[0].host == inventory_hostname
          - preflight.host.dialect == 'stock'
          - preflight.host.regions[0].status == 'unsupported'
          - preflight is not changed
      when: inventory_hostname == 'stock61'
    - name: a clean verdict is data too
      ansible.builtin.assert:
        that:
          - preflight is not failed
          - preflight.findings | selectattr('severity', 'equalto', 'error') | list == []
          - preflight.host.regions[0].status == 'placed'
          - preflight.host.regions[0].approximate
      when: inventory_hostname == 'new612'
    - name: reached
      ansible.builtin.copy:
        content: "ok"
        dest: "{{ inventory_dir }}/reached-{{ inventory_hostname }}"
"""


def test_findings_are_returned_as_data(tmp_path: Path) -> None:
    inv = _inventory(
        tmp_path,
        {
            "stock61": {"kernel": "6.1.0-28-amd64", "kernel_cmdline": STOCK_BAD},
            "new612": {"kernel": "6.12.11-amd64", "kernel_cmdline": GOOD_612},
        },
    )
    play = tmp_path / "play.yml"
    play.write_text(FINDINGS_AS_DATA)
    res = a.run(["ansible-playbook", "-i", str(inv), str(play)], tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "reached-stock61").exists() and (tmp_path / "reached-new612").exists()


FLEET = """
- hosts: fleet
  gather_facts: false
  tasks:
    - memmap_lint.preflight.check:
        cmdline: "{{ kernel_cmdline }}"
        kernel: "{{ kernel }}"
        features: [memmap-wildcard]
        e820: "{{ inventory_dir }}/{{ e820 }}"
      register: preflight
    - memmap_lint.preflight.check:
        fleet: "{{ ansible_play_hosts }}"
        fail_on: warning
      run_once: true
      register: preflight_fleet
    - ansible.builtin.fail:
        msg: "{{ preflight_fleet.hosts[inventory_hostname].msg }}"
      when: preflight_fleet.hosts[inventory_hostname].failed
    - ansible.builtin.copy:
        content: "{{ preflight_fleet.hosts | to_json }}"
        dest: "{{ inventory_dir }}/fleet-{{ inventory_hostname }}.json"
"""


def test_fleet_rules_report_mm306_per_host(tmp_path: Path) -> None:
    # On the RFC kernel 'oops' goes to the top of the last usable entry of the table (top-down
    # by index, the RFC patch's memmap_named()): the top of RAM for rfc-01/02; rfc-03's memmap=1G@8G appends a
    # usable entry [8G, 9G) first, so its 'oops' lands at the top of that one. Same map: MM306.
    inv = _inventory(
        tmp_path,
        {
            "rfc-01": {"kernel": "6.8.0-rfc", "kernel_cmdline": "ro memmap=12M*4096:oops"},
            "rfc-02": {"kernel": "6.8.0-rfc", "kernel_cmdline": "ro memmap=12M*4096:oops"},
            "rfc-03": {
                "kernel": "6.8.0-rfc",
                "kernel_cmdline": "ro memmap=1G@8G memmap=12M*4096:oops",
            },
        },
    )
    play = tmp_path / "fleet.yml"
    play.write_text(FLEET)
    res = a.run(["ansible-playbook", "-i", str(inv), str(play)], tmp_path)
    out = res.stdout + res.stderr
    recap = _recap(res.stdout)
    assert recap["rfc-03"]["failed"] == 1, out
    assert recap["rfc-01"]["failed"] == 0 and recap["rfc-02"]["failed"] == 0, out
    assert re.search(r"MM306 warning \(placement-unstable\) \[memmap=12M\*4096:oops\]", out)
    assert "here but at" in out and "on rfc-01, which has the same firmware map" in out
    hosts = json.loads((tmp_path / "fleet-rfc-01.json").read_text())
    assert [f["code"] for f in hosts["rfc-03"]["findings"]] == ["MM306"]
    assert hosts["rfc-01"]["findings"] == [] and hosts["rfc-02"]["findings"] == []
    assert not (tmp_path / "fleet-rfc-03.json").exists()


def test_ansible_doc_renders_both_plugins(tmp_path: Path) -> None:
    for name in ("memmap_lint.preflight.check", "memmap_lint.preflight.facts"):
        res = a.run(["ansible-doc", name], tmp_path)
        assert res.returncode == 0, res.stderr
        assert name in res.stdout and "[ERROR]" not in res.stderr
    res = a.run(["ansible-doc", "--json", "memmap_lint.preflight.check"], tmp_path)
    doc = json.loads(res.stdout)["memmap_lint.preflight.check"]["doc"]
    assert "fail_on" in doc["options"] and doc["options"]["fail_on"]["default"] == "error"


def test_documented_options_are_the_argument_spec(tmp_path: Path) -> None:
    res = a.run(["ansible-doc", "--json", "memmap_lint.preflight.check"], tmp_path)
    options = json.loads(res.stdout)["memmap_lint.preflight.check"]["doc"]["options"]
    path = a.REPO / "ansible_collections/memmap_lint/preflight/plugins/action/check.py"
    loaded = importlib.util.spec_from_file_location("memmap_lint_check_action", path)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    spec = module.ARGUMENT_SPEC
    assert isinstance(spec, dict)
    assert set(options) == set(spec)
    for name, want in spec.items():
        got = options[name]
        for key in ("type", "default", "choices", "elements"):
            assert got.get(key) == want.get(key), (name, key)


def test_facts_module_output_matches_the_shared_schema(tmp_path: Path) -> None:
    """The module's own output (run directly, before the controller completes it)."""
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {}}))
    module = a.REPO / "ansible_collections/memmap_lint/preflight/plugins/modules/facts.py"
    res = subprocess.run(
        [a.sys.executable, str(module), str(args)], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    raw = out["ansible_facts"]["memmap_lint"]
    validate_facts(raw)
    assert out["changed"] is False
    assert raw["next_kernel"] is None and raw["next_kernel_source"] == "unknown"


def test_facts_module_reads_what_the_ssh_collector_reads() -> None:
    """The module runs on the host without memmap-lint, so it keeps its own copies of the SSH
    collector's file list (also spelled out in the collector's shell script) and post-boot log
    filter: they must stay the same."""
    from memmap_lint.collect import script

    path = a.REPO / "ansible_collections/memmap_lint/preflight/plugins/modules/facts.py"
    loaded = importlib.util.spec_from_file_location("memmap_lint_facts_module", path)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    text = script.remote_script(sudo=False)
    loop = re.search(r"^for p in (.*?); do$", text, re.M | re.S)
    assert loop is not None
    assert tuple(w for w in loop.group(1).split() if w != "\\") == script.BOOT_FILE_PATTERNS
    assert module.BOOT_FILE_PATTERNS == script.BOOT_FILE_PATTERNS
    assert f'grep -E "{module.POSTBOOT_KLOG.pattern}"' in text


def test_collection_builds_with_ansible_galaxy(tmp_path: Path) -> None:
    res = a.run(
        [
            "ansible-galaxy", "collection", "build",
            str(a.REPO / "ansible_collections/memmap_lint/preflight"),
            "--output-path", str(tmp_path),
        ],
        tmp_path,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "memmap_lint-preflight-0.1.0.tar.gz").is_file()


def test_facts_document_round_trips() -> None:
    """What the module returns, completed, is what HostFacts reads (one schema)."""
    raw = {
        "schema": "memmap-lint/facts/v1", "address": "", "collected_at": "2026-05-09T07:35:25Z",
        "kernel_release": "6.1.0-28-amd64", "arch": "x86_64", "proc_cmdline": "ro",
        "e820_source": "none", "memmap": [], "e820_text": "", "dmi_product": None,
        "bios_version": None, "boot_files": {}, "boot_kernels": ["6.1.0-28-amd64", "6.12.11-amd64"],
        "next_kernel": None, "next_kernel_source": "unknown", "notes": [],
    }  # fmt: skip
    from memmap_lint.engine.preflight import complete_facts

    facts = complete_facts(raw, "10.0.0.1:22")
    assert HostFacts.from_dict(facts.to_dict()) == facts
    assert (facts.next_kernel, facts.next_kernel_source) == (
        "6.12.11-amd64",
        "newest /boot/vmlinuz-*",
    )


SSH_PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - memmap_lint.preflight.facts:
    - ansible.builtin.copy:
        content: "{{ ansible_facts.memmap_lint | to_json }}"
        dest: "{{ out_dir }}/facts-{{ inventory_hostname }}.json"
      delegate_to: localhost
      vars:
        ansible_connection: local
    - memmap_lint.preflight.check:
        cmdline: "{{ new_cmdline }}"
    - ansible.builtin.copy:
        content: "reached"
        dest: "{{ out_dir }}/reached-{{ inventory_hostname }}"
      delegate_to: localhost
      vars:
        ansible_connection: local
"""


@pytest.mark.sshd
def test_over_ssh_facts_and_check_and_an_unreachable_host(tmp_path: Path) -> None:
    """Real sshd on loopback serving the r7625 fixture host (tests/sshd_harness.py): its next
    kernel is 6.1.0-28-amd64 (grubenv saved_entry names that submenu entry, GRUB_DEFAULT=saved),
    so memmap=12M*4096:oops is MM105 there; a closed port is Ansible's unreachable."""
    import sshd_harness as h

    why = h.sshd_available()
    if why is not None:
        pytest.skip(why)
    user = h.keygen(tmp_path / "user")
    server = h.start_server("r7625", tmp_path / "r7625", [user], h.FIXTURES / "r7625")
    try:
        known = tmp_path / "known_hosts"
        known.write_text("".join(line + "\n" for line in server.known_hosts_lines()))
        ssh_args = (
            f"-F none -o UserKnownHostsFile={known} -o GlobalKnownHostsFile=/dev/null "
            "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes"
        )
        inv = tmp_path / "hosts.ini"
        inv.write_text(
            "[lab]\n"
            f"r7625 ansible_host=127.0.0.1 ansible_port={server.port()}\n"
            f"gone ansible_host=127.0.0.1 ansible_port={h.free_port()}\n"
            "[lab:vars]\n"
            f"ansible_user=root\nansible_ssh_private_key_file={user}\n"
            f"ansible_ssh_common_args='{ssh_args}'\n"
        )
        play = tmp_path / "ssh.yml"
        play.write_text(SSH_PLAY)
        res = a.run(
            [
                "ansible-playbook", "-i", str(inv), str(play),
                "-e", f"out_dir={tmp_path}", "-e", f"new_cmdline='{STOCK_BAD}'",
            ],
            tmp_path,
        )  # fmt: skip
    finally:
        server.stop()
    out = res.stdout + res.stderr
    recap = _recap(res.stdout)
    assert recap["gone"]["unreachable"] == 1 and recap["gone"]["ok"] == 0, out
    assert recap["r7625"]["failed"] == 1, out
    assert not (tmp_path / "reached-r7625").exists() and not (tmp_path / "reached-gone").exists()
    assert "on r7625; the command line must not be installed" in out
    assert "MM105 error (wildcard-unsupported) [memmap=12M*4096:oops]" in out
    facts = HostFacts.from_dict(json.loads((tmp_path / "facts-r7625.json").read_text()))
    assert facts.address == f"127.0.0.1:{server.port()}"
    assert facts.next_kernel == "6.1.0-28-amd64"
    assert facts.next_kernel_source.startswith("grubenv saved_entry")
    assert facts.e820_source == "sysfs"
    fixture = h.FIXTURES / "r7625"
    want = sorted(
        (int(d.name), *(int((d / k).read_text(), 16) for k in ("start", "end")))
        for d in (fixture / "memmap").iterdir()
    )
    assert [(e.index, e.start, e.end) for e in facts.memmap] == want
    assert facts.proc_cmdline == (fixture / "cmdline").read_text().rstrip("\n")
    assert facts.dmi_product == (fixture / "class/dmi/id/product_name").read_text().strip()
    assert (
        facts.boot_files["/etc/default/grub.d/60-memmap.cfg"]
        == (fixture / "etc/default/grub.d/60-memmap.cfg").read_text()
    )
    assert sorted(facts.boot_kernels) == ["6.1.0-28-amd64", "6.12.11-amd64"]
