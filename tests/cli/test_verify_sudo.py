"""``memmap-lint verify`` as an unprivileged user, through the real sshd on 127.0.0.1.

The fixture host is the recorded boot of Debian's 6.12 (tests/fixtures/postboot/good.console)
mounted as tests/sshd_harness.py does; the login user is a real unprivileged account. The
root-only facts (the ramoops parameters, /proc/iomem, /sys/fs/pstore, the kernel log of the
fake ``dmesg``) are read through ``sudo -n`` when a test-only sudoers rule allows it without a
password; otherwise the collector says which facts it could not read (MM706), and never waits
for a password. A second host shows a pstore record archived by systemd-pstore. The last test
logs in with the real ansible-playbook as the same user, with and without ``ansible_become``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ansible_harness as a
import pytest
import sshd_harness as h
from memmap_lint.collect.facts import HostFacts
from memmap_lint.collect.postboot import RESERVE_MEM_PARAM
from postboot_boot import console_facts, host_tree

pytestmark = [
    pytest.mark.sshd,
    pytest.mark.skipif(h.sshd_available() is not None, reason=str(h.sshd_available())),
    pytest.mark.skipif(h.sudo_available() is not None, reason=str(h.sudo_available())),
]

RECORDED = Path(__file__).parent.parent / "fixtures" / "postboot"
USER = "mmlint-test"
#: What the collector runs through ``sudo -n`` (script.py): ``sh -c`` with one of its fixed
#: scripts (the post-boot one spans lines, which a sudoers argument cannot spell), ``dmesg``.
NOPASSWD = f"{USER} ALL=(root) NOPASSWD: /usr/bin/sh -c *, /usr/bin/dmesg\n"
ARCHIVED = "1733170000000000"  # a systemd-pstore record directory (its timestamp)


@dataclass
class Lab:
    tmp: Path
    key: Path
    servers: dict[str, h.Server]


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    h.ensure_user(USER)
    # sshd reads authorized_keys as the user: the directory must be searchable by it, which
    # pytest's own tmp (0700, root) is not.
    tmp = Path(tempfile.mkdtemp(prefix="memmap-lint-sudo-"))
    tmp.chmod(0o755)
    servers: dict[str, h.Server] = {}
    try:
        key = h.keygen(tmp / "user")
        facts = console_facts((RECORDED / "good.console").read_text())
        trees = {
            "good": host_tree(facts, tmp / "hosts" / "good"),
            "archived": host_tree(facts, tmp / "hosts" / "archived"),
            "rootonly": host_tree(facts, tmp / "hosts" / "rootonly"),
        }
        for entry in (trees["rootonly"] / "memmap").glob("*/*"):
            entry.chmod(0o400)  # a kernel whose /sys/firmware/memmap is root-only
        record = trees["archived"] / "postboot" / "systemd-pstore" / ARCHIVED
        record.mkdir(parents=True)
        (record / "dmesg.txt").write_text("<0>Kernel panic - not syncing: sysrq triggered crash\n")
        for name, tree in trees.items():
            servers[name] = h.start_server(name, tmp / "servers" / name, [key], tree)
        (tmp / "servers").chmod(0o755)
        for server in servers.values():
            server.workdir.chmod(0o755)
            (server.workdir / "authorized_keys").chmod(0o644)
        yield Lab(tmp, key, servers)
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def inventory(lab: Lab, user: str, sudo: bool | None, become: bool | None = None) -> Path:
    """Every host as ``user``; ``memmap_lint_sudo`` and ``ansible_become`` set when not None."""
    flags = "".join(
        f", {var}: {str(value).lower()}"
        for var, value in (("memmap_lint_sudo", sudo), ("ansible_become", become))
        if value is not None
    )
    inv = lab.tmp / "fleet" / f"{user}-{sudo}-{become}" / "inv.yaml"
    inv.parent.mkdir(parents=True, exist_ok=True)
    inv.write_text(
        "all:\n  hosts:\n"
        + "".join(
            f"    {name}: {{ansible_host: 127.0.0.1, ansible_port: {s.port()}, "
            f"ansible_user: {user}, ansible_ssh_private_key_file: '{lab.key}'{flags}}}\n"
            for name, s in lab.servers.items()
        )
    )
    return inv


def verify(lab: Lab, inv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = lab.tmp / "home"
    (home / ".ssh").mkdir(parents=True, exist_ok=True)
    lines = [line for s in lab.servers.values() for line in s.known_hosts_lines()]
    (home / ".ssh" / "known_hosts").write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    env["HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "verify", str(inv), *args],
        capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def findings(done: subprocess.CompletedProcess[str]) -> dict[str, list[dict[str, Any]]]:
    report = json.loads(done.stdout)
    return {host["host"]: host["findings"] for host in report["hosts"]}


def cached(inv: Path, host: str) -> HostFacts:
    cache = json.loads((inv.parent / ".memmap-lint-cache" / f"{host}.json").read_text())
    return HostFacts.from_dict(cache["facts"])


def test_sudo_nopasswd_reads_every_fact(lab: Lab) -> None:
    with h.sudoers_rule("nopasswd", NOPASSWD):
        inv = inventory(lab, USER, sudo=True)
        done = verify(lab, inv, "--format", "json")
    assert done.returncode == 0 or done.returncode == 1, done.stderr
    got = findings(done)
    assert sorted(f["code"] for f in got["good"]) == ["MM708", "MM708"], got["good"]
    facts = cached(inv, "good")
    want = console_facts((RECORDED / "good.console").read_text())
    pb, wpb = facts.postboot, want.postboot
    assert pb is not None and wpb is not None
    # debugfs is read only where this machine mounts it (as for root): nothing else is denied
    assert pb.sudo is True and set(pb.denied) <= {RESERVE_MEM_PARAM}, pb.denied
    assert pb.ramoops == wpb.ramoops and pb.iomem == wpb.iomem
    assert pb.trace_instances == ("boot",) and pb.pstore_mounted is True
    assert facts.memmap == want.memmap


@pytest.mark.parametrize("sudo", [True, False])
def test_root_only_firmware_map(lab: Lab, sudo: bool) -> None:
    """Through sudo the map is the recorded one; without, it is unreadable and said so."""
    with h.sudoers_rule("nopasswd", NOPASSWD):
        inv = inventory(lab, USER, sudo=sudo)
        verify(lab, inv, "--format", "json", "--hosts", "rootonly")
    facts = cached(inv, "rootonly")
    want = console_facts((RECORDED / "good.console").read_text())
    if sudo:
        assert facts.e820_source == "sysfs" and facts.memmap == want.memmap
        assert "/sys/firmware/memmap read through sudo -n" in facts.notes
    else:
        assert facts.memmap == () and facts.e820_source == "dmesg"  # the fallback
        assert any(n.startswith("/sys/firmware/memmap unreadable") for n in facts.notes)


@pytest.mark.parametrize(
    ("sudo", "become", "used"), [(None, True, True), (False, True, False), (None, False, False)]
)
def test_ansible_become_in_the_inventory(
    lab: Lab, sudo: bool | None, become: bool, used: bool
) -> None:
    """``ansible_become`` asks for sudo unless ``memmap_lint_sudo`` says otherwise."""
    with h.sudoers_rule("nopasswd", NOPASSWD):
        inv = inventory(lab, USER, sudo=sudo, become=become)
        verify(lab, inv, "--format", "json", "--hosts", "good")
    pb = cached(inv, "good").postboot
    assert pb is not None and pb.sudo is used
    assert ("ramoops-params" in pb.denied) is not used


def test_archived_pstore_record_is_kept(lab: Lab) -> None:
    with h.sudoers_rule("nopasswd", NOPASSWD):
        inv = inventory(lab, USER, sudo=True)
        done = verify(lab, inv, "--format", "json", "--hosts", "archived")
    got = findings(done)
    assert "MM705" not in [f["code"] for f in got["archived"]], got["archived"]
    pb = cached(inv, "archived").postboot
    assert pb is not None and pb.pstore == () and pb.pstore_archive == (ARCHIVED,)


@pytest.mark.parametrize(
    ("rule", "sudo"),
    [
        (None, True),  # no sudoers rule at all: sudo -n would ask for a password
        (f"{USER} ALL=(root) /usr/bin/sh -c *, /usr/bin/dmesg\n", True),  # a rule with password
        (NOPASSWD, False),  # sudo allowed but not asked for
        (f"Defaults:{USER} requiretty\n{NOPASSWD}", True),  # old RHEL: sudo wants a terminal
    ],
    ids=["no-rule", "password", "not-asked", "requiretty"],
)
def test_without_sudo_the_unread_facts_are_named(lab: Lab, rule: str | None, sudo: bool) -> None:
    inv = inventory(lab, USER, sudo=sudo)
    if rule is None:
        done = verify(lab, inv, "--format", "json", "--hosts", "good")
    else:
        with h.sudoers_rule("partial", rule):
            done = verify(lab, inv, "--format", "json", "--hosts", "good")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "password" not in done.stderr.lower(), done.stderr
    codes = [f["code"] for f in findings(done)["good"]]
    assert "MM706" in codes, codes
    text = " ".join(f["message"] for f in findings(done)["good"] if f["code"] == "MM706")
    assert "ramoops parameters" in text and "/proc/iomem" in text, text
    pb = cached(inv, "good").postboot
    assert pb is not None and pb.sudo is False
    assert {"/proc/iomem", "ramoops-params", "pstore"} <= set(pb.denied)


PLAY = """
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


def ansible_play(lab: Lab, tmp: Path, become: bool) -> subprocess.CompletedProcess[str]:
    """PLAY on host good, Ansible logging in as the unprivileged user."""
    tmp.mkdir()
    remote_tmp = lab.tmp / "ansible-remote"  # the user's own: its home does not exist
    remote_tmp.mkdir(exist_ok=True)
    shutil.chown(remote_tmp, USER)
    known = lab.tmp / "ansible_known_hosts"
    known.write_text("".join(f"{line}\n" for line in lab.servers["good"].known_hosts_lines()))
    cmdline = console_facts((RECORDED / "good.console").read_text()).proc_cmdline
    inventory = tmp / "inventory.yaml"
    inventory.write_text(
        json.dumps(
            {"all": {"hosts": {"good": {
                "ansible_host": "127.0.0.1", "ansible_port": lab.servers["good"].port(),
                "ansible_user": USER, "ansible_ssh_private_key_file": str(lab.key),
                "ansible_ssh_common_args":
                    f"-o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes",
                "ansible_become": become, "ansible_remote_tmp": str(remote_tmp),
                # the controller's venv lives under /root, which the user cannot enter
                "ansible_python_interpreter": "/usr/bin/python3",
                "kernel_cmdline": cmdline,
            }}}}
        )
    )  # fmt: skip
    play = tmp / "verify.yml"
    play.write_text(PLAY)
    return a.run(["ansible-playbook", "-i", str(inventory), str(play), "-e", f"out_dir={tmp}"], tmp)


def ansible_verify(lab: Lab, tmp: Path, become: bool) -> dict[str, Any]:
    """The verify task's result for host good."""
    res = ansible_play(lab, tmp, become)
    assert res.returncode == 0, res.stdout + res.stderr  # ignore_errors: a failed verify is data
    result: dict[str, Any] = json.loads((tmp / "good.json").read_text())
    return result


@pytest.mark.ansible
@pytest.mark.skipif(a.ansible_missing() is not None, reason=str(a.ansible_missing()))
def test_ansible_become_through_sudo(lab: Lab, tmp_path: Path) -> None:
    """``ansible_become: true`` runs the facts module as root through the same sudo rule."""
    with h.sudoers_rule("nopasswd", NOPASSWD):
        became = ansible_verify(lab, tmp_path / "become", become=True)
    assert became["failed"] is False, became["msg"]
    assert sorted(f["code"] for f in became["findings"]) == ["MM708", "MM708"]
    plain = ansible_verify(lab, tmp_path / "plain", become=False)
    assert "MM706" in [f["code"] for f in plain["findings"]], plain


@pytest.mark.ansible
@pytest.mark.skipif(a.ansible_missing() is not None, reason=str(a.ansible_missing()))
def test_ansible_become_needing_a_password_fails_at_once(lab: Lab, tmp_path: Path) -> None:
    """A sudo rule with a password: Ansible's ``sudo -n`` fails the host, it does not wait."""
    with h.sudoers_rule("partial", f"{USER} ALL=(root) /usr/bin/sh -c *\n"):
        res = ansible_play(lab, tmp_path / "password", become=True)
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "Missing sudo password" in out, out
    assert not (tmp_path / "password" / "good.json").exists()
