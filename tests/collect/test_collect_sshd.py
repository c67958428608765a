"""collect() against real OpenSSH servers on 127.0.0.1 (tests/sshd_harness.py).

Expectations come from the fixture hosts in tests/fixtures/sshd/ (each mounted over the real
paths in the server's own mount namespace), from ``ssh-keygen -l`` for fingerprints, and from
OpenSSH's documented StrictHostKeyChecking behaviour (ssh_config(5)).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import sshd_harness as h
from memmap_lint.collect.cache import Cache
from memmap_lint.collect.script import REMOTE_COMMAND, remote_script
from memmap_lint.collect.ssh import (
    CollectFailure,
    CollectOptions,
    HostFacts,
    Progress,
    SSHTarget,
    collect,
    collect_cached,
)
from memmap_lint.collect.target import load_ssh_config, resolve_target
from memmap_lint.errors import LintError

pytestmark = [
    pytest.mark.sshd,
    pytest.mark.skipif(h.sshd_available() is not None, reason=str(h.sshd_available())),
]

HANG = "sleep 600"
GARBAGE = "printf 'memmap-lint-facts 1\\nF uname-r\\n!!not base64!!\\n'"
HUGE = "head -c 3000000 /dev/zero"


@dataclass
class Lab:
    tmp: Path
    user_key: Path
    stranger_key: Path
    servers: dict[str, h.Server]
    known_hosts: Path
    silent: h.SilentPort
    record_dir: Path

    def options(self, **kw: object) -> CollectOptions:
        base = CollectOptions(
            jobs=8,
            connect_timeout=3,
            auth_timeout=3,
            command_timeout=10,
            host_timeout=20,
            retries=0,
            known_hosts=(str(self.known_hosts),),
            system_known_hosts=(),
            ssh_config=None,
            use_agent=False,
        )
        return replace(base, **kw)  # type: ignore[arg-type]

    def target(self, name: str, server: str, role: str = "main", **kw: object) -> SSHTarget:
        base = SSHTarget(
            name, "127.0.0.1", self.servers[server].port(role), "root", (str(self.user_key),)
        )
        return replace(base, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("sshd")
    user = h.keygen(tmp / "user")
    stranger = h.keygen(tmp / "stranger")
    record = tmp / "record"
    record.mkdir()
    recorder = (
        f'sh -c \'printf %s "$SSH_ORIGINAL_COMMAND" > {record}/command; '
        f"tee {record}/stdin | sh -s'"
    )
    servers = {
        "r7625": h.start_server(
            "r7625",
            tmp / "r7625",
            [user],
            h.FIXTURES / "r7625",
            force_commands={
                "hang": HANG,
                "garbage": GARBAGE,
                "huge": HUGE,
                "record": recorder,
            },
        ),
        "azure": h.start_server("azure", tmp / "azure", [user], h.FIXTURES / "azure-gen2"),
        "vm": h.start_server(
            "vm", tmp / "vm", [user], h.FIXTURES / "firecracker-vm", forwarding=True
        ),
    }
    known = tmp / "known_hosts"
    known.write_text(
        "".join(f"{line}\n" for s in servers.values() for line in s.known_hosts_lines())
    )
    silent = h.SilentPort().start()
    try:
        yield Lab(tmp, user, stranger, servers, known, silent, record)
    finally:
        silent.stop()
        for s in servers.values():
            s.stop()


def _memmap_from_fixture(host: str) -> list[tuple[int, int, int, str]]:
    root = h.FIXTURES / host / "memmap"
    out = []
    for d in sorted(root.iterdir(), key=lambda p: int(p.name)):
        start, end, kind = ((d / k).read_text().strip() for k in ("start", "end", "type"))
        out.append((int(d.name), int(start, 16), int(end, 16), kind))
    return out


def test_collects_each_fixture_host(lab: Lab) -> None:
    targets = [
        lab.target("db-01", "r7625"),
        lab.target("az-01", "azure"),
        lab.target("vm-01", "vm"),
    ]
    results = collect(targets, lab.options())
    assert list(results) == ["db-01", "az-01", "vm-01"]
    db, az, vm = (results[n] for n in ("db-01", "az-01", "vm-01"))
    assert isinstance(db, HostFacts) and isinstance(az, HostFacts) and isinstance(vm, HostFacts)
    # r7625: the sysfs map from the real R7625 capture, 32 entries, in index order (not 0,1,10..)
    assert db.e820_source == "sysfs"
    assert [(e.index, e.start, e.end, e.type) for e in db.memmap] == _memmap_from_fixture("r7625")
    assert db.memmap[0].start == 0x100  # this firmware's first usable range starts at 0x100
    assert db.proc_cmdline == (h.FIXTURES / "r7625" / "cmdline").read_text().rstrip("\n")
    assert (db.dmi_product, db.bios_version) == ("PowerEdge R7625", "1.10.6")
    assert sorted(db.boot_files) == [
        "/boot/grub/grub.cfg",
        "/boot/grub/grubenv",
        "/etc/default/grub",
        "/etc/default/grub.d/60-memmap.cfg",
    ]
    assert (
        db.boot_files["/etc/default/grub.d/60-memmap.cfg"]
        == (h.FIXTURES / "r7625/etc/default/grub.d/60-memmap.cfg").read_text()
    )
    # GRUB_DEFAULT=saved and grubenv's saved_entry names the older kernel in the submenu
    assert db.next_kernel == "6.1.0-28-amd64"
    assert db.next_kernel_source.startswith("grubenv saved_entry")
    assert db.address == f"127.0.0.1:{lab.servers['r7625'].port()}"
    assert db.kernel_release == os.uname().release and db.arch == os.uname().machine
    # azure: no /sys/firmware/memmap, so the kernel log's e820 lines (its dmesg prints the capture)
    assert az.e820_source == "dmesg" and az.memmap == ()
    capture = (h.FIXTURES / "azure-gen2" / "dmesg.txt").read_text().splitlines()
    assert az.e820_text.splitlines() == capture  # every line mentions e820 or the command line
    assert any("kernel log (dmesg)" in n for n in az.notes)
    assert az.next_kernel == "6.12.0-55.el10.x86_64"  # saved_entry, not the newest BLS entry
    assert "/etc/kernel/cmdline" in az.boot_files
    # the Firecracker VM: its real sysfs map, no DMI, no boot files: the running kernel is next
    assert [(e.index, e.start, e.end, e.type) for e in vm.memmap] == _memmap_from_fixture(
        "firecracker-vm"
    )
    assert vm.dmi_product is None and vm.boot_files == {}
    assert vm.next_kernel == vm.kernel_release
    assert HostFacts.from_dict(db.to_dict()) == db


def test_fault_cases_are_isolated_and_reported(lab: Lab) -> None:
    refused_port = h.free_port()
    r7625 = lab.servers["r7625"]
    # the vm server's port, but known_hosts says it has r7625's key: a changed key
    changed = lab.tmp / "known_hosts_changed"
    vm_port = lab.servers["vm"].port()
    changed.write_text(
        lab.known_hosts.read_text().replace(
            h.public_line(lab.servers["vm"].host_key), h.public_line(r7625.host_key)
        )
    )
    targets = [
        lab.target("ok", "r7625"),
        SSHTarget("refused", "127.0.0.1", refused_port, "root", (str(lab.user_key),)),
        SSHTarget("silent", "127.0.0.1", lab.silent.port, "root", (str(lab.user_key),)),
        lab.target("changed", "vm"),
        lab.target("badauth", "azure", key_files=(str(lab.stranger_key),)),
        lab.target("hang", "r7625", "hang"),
        lab.target("garbage", "r7625", "garbage"),
        lab.target("huge", "r7625", "huge"),
    ]
    options = lab.options(
        known_hosts=(str(changed),), connect_timeout=1.5, command_timeout=2, max_output=1 << 20
    )
    started = time.monotonic()
    results = collect(targets, options)
    elapsed = time.monotonic() - started
    assert isinstance(results["ok"], HostFacts)
    causes = {n: (r.cause if isinstance(r, CollectFailure) else "ok") for n, r in results.items()}
    assert causes == {
        "ok": "ok",
        "refused": "refused",
        "silent": "timeout",
        "changed": "hostkey-changed",
        "badauth": "auth",
        "hang": "timeout",
        "garbage": "garbage",
        "huge": "output-too-large",
    }
    failures = {n: r for n, r in results.items() if isinstance(r, CollectFailure)}
    vm_fp = h.ssh_fingerprint(lab.servers["vm"].host_key)
    r_fp = h.ssh_fingerprint(r7625.host_key)
    assert vm_fp in failures["changed"].message and r_fp in failures["changed"].message
    assert f"[127.0.0.1]:{vm_port}" in failures["changed"].message
    assert "SSH handshake" in failures["silent"].message
    assert "ran over 2s" in failures["hang"].message
    assert str(1 << 20) in failures["huge"].message
    # in parallel: the run takes about the longest host, not the sum
    assert elapsed < 6


def test_unknown_host_key_refused_then_accept_new_records_it(lab: Lab) -> None:
    empty = lab.tmp / "kh-unknown" / "known_hosts"
    empty.parent.mkdir()
    target = lab.target("vm-01", "vm")
    strict = collect([target], lab.options(known_hosts=(str(empty),)))["vm-01"]
    assert isinstance(strict, CollectFailure) and strict.cause == "hostkey-unknown"
    assert h.ssh_fingerprint(lab.servers["vm"].host_key) in strict.message
    assert not empty.exists()  # strict mode never writes
    accepted = collect([target], lab.options(known_hosts=(str(empty),), accept_new=True))
    assert isinstance(accepted["vm-01"], HostFacts)
    line = f"[127.0.0.1]:{target.port} {h.public_line(lab.servers['vm'].host_key)}"
    assert empty.read_text() == line + "\n"
    assert empty.stat().st_mode & 0o777 == 0o600
    # the recorded key is now trusted strictly, and OpenSSH's own client agrees with the file
    again = collect([target], lab.options(known_hosts=(str(empty),)))
    assert isinstance(again["vm-01"], HostFacts)
    ssh = h.run_ssh(lab.user_key, empty, target.port, "true")
    assert ssh.returncode == 0, ssh.stderr


def test_accept_new_still_refuses_a_changed_key(lab: Lab) -> None:
    kh = lab.tmp / "kh-accept-changed"
    kh.write_text(f"[127.0.0.1]:{lab.servers['vm'].port()} {h.public_line(lab.user_key)}\n")
    result = collect(
        [lab.target("vm-01", "vm")], lab.options(known_hosts=(str(kh),), accept_new=True)
    )
    assert isinstance(result["vm-01"], CollectFailure)
    assert result["vm-01"].cause == "hostkey-changed"


def test_no_inventory_value_reaches_the_remote_command(lab: Lab) -> None:
    hostile = "x'; touch /tmp/pwned-$(id -u); echo '"
    port = lab.servers["r7625"].port("record")
    config = lab.tmp / "ssh_config_hostile"
    config.write_text(f"Host *\n  HostName 127.0.0.1\n  Port {port}\n")
    # a hostile name never gets this far: OpenSSH 9.6+'s host name check refuses it locally
    with pytest.raises(LintError) as refused:
        resolve_target(hostile, {}, load_ssh_config(str(config)))
    assert refused.value.code == "MM604"
    name = "db-hostile"
    target = resolve_target(
        name,
        {
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(lab.user_key),
            "memmap_lint_sudo": True,
            "kernel_cmdline": hostile,
        },
        load_ssh_config(str(config)),
    )
    assert (target.host, target.port, target.sudo) == ("127.0.0.1", port, True)
    result = collect([target], lab.options())[name]
    assert isinstance(result, HostFacts)
    assert (lab.record_dir / "command").read_text() == REMOTE_COMMAND
    stdin = (lab.record_dir / "stdin").read_text()
    assert stdin == remote_script(True)
    assert "pwned" not in stdin and hostile not in stdin


def test_proxy_jump_through_a_direct_tcpip_channel(lab: Lab) -> None:
    jump_port = lab.servers["vm"].port()
    config = lab.tmp / "ssh_config_jump"
    config.write_text(
        f"Host bastion\n  HostName 127.0.0.1\n  Port {jump_port}\n  User root\n"
        f"  IdentityFile {lab.user_key}\n"
        f"Host db-behind\n  HostName 127.0.0.1\n  Port {lab.servers['r7625'].port()}\n"
        f"  ProxyJump bastion\n  User root\n  IdentityFile {lab.user_key}\n"
    )
    target = resolve_target("db-01", {"ansible_host": "db-behind"}, load_ssh_config(str(config)))
    assert target.proxy_jump == "bastion"
    result = collect([target], lab.options(ssh_config=str(config)))["db-01"]
    assert isinstance(result, HostFacts), result
    assert result.dmi_product == "PowerEdge R7625"
    assert result.address.endswith("via bastion")
    # a jump host that forbids forwarding: the target is reported, not an exception
    config.write_text(config.read_text().replace(str(jump_port), str(lab.servers["azure"].port())))
    blocked = collect([target], lab.options(ssh_config=str(config)))["db-01"]
    assert isinstance(blocked, CollectFailure) and blocked.cause in ("refused", "unreachable")


def test_retries_only_transient_failures(lab: Lab) -> None:
    port = h.free_port()
    target = SSHTarget("late", "127.0.0.1", port, "root", (str(lab.user_key),))
    t0 = time.monotonic()
    r = collect([target], lab.options(retries=2, backoff=0.2))["late"]
    assert isinstance(r, CollectFailure) and r.cause == "refused" and r.attempts == 3
    assert time.monotonic() - t0 >= 0.2 + 0.4  # backoff 0.2 then 0.4
    bad = collect(
        [lab.target("a", "azure", key_files=(str(lab.stranger_key),))],
        lab.options(retries=2, backoff=0.2),
    )["a"]
    assert isinstance(bad, CollectFailure) and bad.cause == "auth" and bad.attempts == 1


def test_host_timeout_bounds_the_whole_host(lab: Lab) -> None:
    t0 = time.monotonic()
    r = collect(
        [lab.target("hang", "r7625", "hang")], lab.options(command_timeout=30, host_timeout=1.5)
    )["hang"]
    assert isinstance(r, CollectFailure) and r.cause == "timeout"
    assert time.monotonic() - t0 < 4


def test_progress_and_cache(lab: Lab) -> None:
    seen: list[Progress] = []
    cache = Cache(lab.tmp / "cache")
    targets = [lab.target("db-01", "r7625"), SSHTarget("down", "127.0.0.1", h.free_port())]
    first = collect_cached(targets, lab.options(), cache, max_age=3600, progress=seen.append)
    assert [p.done for p in seen] == [1, 2] and seen[-1].failed == 1 and seen[-1].remaining == 0
    assert isinstance(first["db-01"], HostFacts) and isinstance(first["down"], CollectFailure)
    # fresh entries are reused without connecting; the failed host is tried again
    seen.clear()
    second = collect_cached(targets, lab.options(), cache, max_age=3600, progress=seen.append)
    assert second["db-01"] == first["db-01"] and [p.host for p in seen] == ["down"]
    seen.clear()
    collect_cached(targets, lab.options(), cache, max_age=3600, refresh=True, progress=seen.append)
    assert sorted(p.host for p in seen) == ["db-01", "down"]
    entry = cache.load("db-01")
    assert entry is not None and entry.changes == ()


def _cutting_proxy(upstream: int, cut_after: int) -> tuple[int, threading.Thread]:
    """A TCP proxy to ``upstream`` that resets the connection once the server has sent
    ``cut_after`` bytes: a connection lost mid-output, as a crashed host or router makes it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        client, _ = listener.accept()
        server = socket.create_connection(("127.0.0.1", upstream))
        sent = 0
        with client, server, listener:
            while sent < cut_after:
                ready, _, _ = select.select([client, server], [], [], 10)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (server if sock is client else client).sendall(data)
                    if sock is server:
                        sent += len(data)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def test_connection_reset_mid_output_is_reported_at_once(lab: Lab) -> None:
    port, proxy = _cutting_proxy(lab.servers["r7625"].port("huge"), 200_000)
    target = SSHTarget("cut", "127.0.0.1", port, "root", (str(lab.user_key),))
    known = lab.tmp / "kh-cut"
    known.write_text(f"[127.0.0.1]:{port} {h.public_line(lab.servers['r7625'].host_key)}\n")
    started = time.monotonic()
    result = collect([target], lab.options(known_hosts=(str(known),), command_timeout=20))["cut"]
    elapsed = time.monotonic() - started
    proxy.join(5)
    assert isinstance(result, CollectFailure), result
    assert result.cause == "closed" and "connection" in result.message, result.message
    assert elapsed < 5  # not the 20 s command time limit


def test_endless_banner_is_named_not_an_ssh_server(lab: Lab) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, listener, contextlib.suppress(OSError):
            for _ in range(100):  # a megabyte of one line, as a misconfigured service sends
                conn.sendall(b"A" * 10_000)

    threading.Thread(target=serve, daemon=True).start()
    target = SSHTarget("chatty", "127.0.0.1", listener.getsockname()[1], "root", ())
    started = time.monotonic()
    result = collect([target], lab.options(connect_timeout=10))["chatty"]
    assert isinstance(result, CollectFailure)
    assert result.cause == "not-ssh" and "without a line end" in result.message, result.message
    assert time.monotonic() - started < 5
