"""``memmap-lint verify`` over SSH: real OpenSSH servers on 127.0.0.1 (tests/sshd_harness.py)
whose mount namespace shows the files of a recorded boot of Debian's 6.12 under QEMU
(tests/fixtures/postboot): its firmware map, /proc/cmdline, kernel log, /proc/iomem, the
ramoops module parameters and the trace instances, mounted over the real paths; pstore is a
real pstore mount. The collector reads them with its one fixed script, as on a real host.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sshd_harness as h
from memmap_lint.collect.facts import HostFacts
from postboot_boot import console_facts, host_tree

pytestmark = [
    pytest.mark.sshd,
    pytest.mark.skipif(h.sshd_available() is not None, reason=str(h.sshd_available())),
]

RECORDED = Path(__file__).parent.parent / "fixtures" / "postboot"
BOOTS = ("good", "typo", "too-large")


@dataclass
class Lab:
    tmp: Path
    key: Path
    servers: dict[str, h.Server]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("verify-sshd")
    key = h.keygen(tmp / "user")
    servers: dict[str, h.Server] = {}
    try:
        for name in BOOTS:
            facts = console_facts((RECORDED / f"{name}.console").read_text())
            tree = host_tree(facts, tmp / "hosts" / name)
            servers[name] = h.start_server(name, tmp / "servers" / name, [key], tree)
        yield Lab(tmp, key, servers)
    finally:
        for server in servers.values():
            server.stop()


def run(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    home = lab.tmp / "home"
    (home / ".ssh").mkdir(parents=True, exist_ok=True)
    lines = [line for s in lab.servers.values() for line in s.known_hosts_lines()]
    (home / ".ssh" / "known_hosts").write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    env["HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "verify", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def inventory(lab: Lab) -> Path:
    inv = lab.tmp / "fleet" / "inv.yaml"
    inv.parent.mkdir(exist_ok=True)
    inv.write_text(
        "all:\n  hosts:\n"
        + "".join(
            f"    {name}: {{ansible_host: 127.0.0.1, ansible_port: {s.port()}, "
            f"ansible_user: root, ansible_ssh_private_key_file: '{lab.key}'}}\n"
            for name, s in lab.servers.items()
        )
    )
    return inv


def test_verify_over_ssh(lab: Lab) -> None:
    inv = inventory(lab)
    done = run(lab, str(inv), "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    codes = {h["host"]: sorted(f["code"] for f in h["findings"]) for h in report["hosts"]}
    # this machine's kernel runs the sshd, so the release is not 6.12.118: the same findings
    assert codes["good"] == ["MM708", "MM708"]
    assert "MM703" in codes["typo"]
    assert codes["too-large"] == ["MM701", "MM703", "MM708"]
    good = run(lab, str(inv), "--hosts", "good")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "good:/proc/cmdline:1:38" in good.stdout


def test_the_collected_facts_are_the_recorded_ones(lab: Lab) -> None:
    inv = inventory(lab)
    assert run(lab, str(inv), "--hosts", "good").returncode == 0
    cache = json.loads((inv.parent / ".memmap-lint-cache" / "good.json").read_text())
    got = HostFacts.from_dict(cache["facts"])
    want = console_facts((RECORDED / "good.console").read_text())
    assert got.proc_cmdline == want.proc_cmdline and got.memmap == want.memmap
    assert got.postboot is not None and want.postboot is not None
    assert got.postboot.ramoops == want.postboot.ramoops
    assert got.postboot.trace_instances == ("boot",)
    assert got.postboot.iomem == want.postboot.iomem
    assert got.postboot.pstore_mounted is True


def test_unreachable_host_is_mm601_not_clean(lab: Lab) -> None:
    inv = inventory(lab)
    text = inv.read_text() + (
        f"    gone: {{ansible_host: 127.0.0.1, ansible_port: {h.free_port()}, "
        f"ansible_user: root, ansible_ssh_private_key_file: '{lab.key}'}}\n"
    )
    inv.write_text(text)
    done = run(lab, str(inv), "--hosts", "good,gone")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "MM601" in done.stdout and "connection refused" in done.stdout
    alone = run(lab, str(inv), "--hosts", "gone")
    assert alone.returncode == 2  # not one host could be verified
