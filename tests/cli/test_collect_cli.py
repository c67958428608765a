"""``memmap-lint collect`` and ``memmap-lint INVENTORY --collect`` as a user runs them: real
processes against real OpenSSH servers on 127.0.0.1 (tests/sshd_harness.py).

Each run gets its own HOME, so ~/.ssh/known_hosts and ~/.ssh/config are the test's; the host
keys are throwaway keys made by ssh-keygen. Expectations come from the fixture hosts'
files (tests/fixtures/sshd/), from ``ssh-keygen -l`` for fingerprints and from OpenSSH's
StrictHostKeyChecking=accept-new behaviour (ssh_config(5)).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import sshd_harness as h
from memmap_lint.captures.parse import load_capture
from memmap_lint.collect.cache import Cache
from memmap_lint.kernel.earlyboot import Facts
from memmap_lint.kernel.release import kernel_for
from memmap_lint.kernel.simulate import Options, simulate

pytestmark = [
    pytest.mark.sshd,
    pytest.mark.skipif(h.sshd_available() is not None, reason=str(h.sshd_available())),
]

R7625_MAP = h.FIXTURES / "r7625" / "memmap"


@dataclass
class Lab:
    tmp: Path
    key: Path
    good: h.Server
    newkey: h.Server
    refused: int

    def home(self, name: str, trust: tuple[h.Server, ...] = ()) -> Path:
        home = self.tmp / name
        (home / ".ssh").mkdir(parents=True)
        lines = [line for s in trust for line in s.known_hosts_lines()]
        if lines:
            (home / ".ssh" / "known_hosts").write_text("\n".join(lines) + "\n")
        return home


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    env["HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def host_entry(lab: Lab, port: int, extra: str = "") -> str:
    return (
        f"{{ansible_host: 127.0.0.1, ansible_port: {port}, ansible_user: root, "
        f"ansible_ssh_private_key_file: '{lab.key}'{extra}}}"
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("collect-cli")
    key = h.keygen(tmp / "user")
    good = h.start_server("good", tmp / "good", [key], h.FIXTURES / "r7625")
    newkey = h.start_server("newkey", tmp / "newkey", [key], h.FIXTURES / "firecracker-vm")
    try:
        yield Lab(tmp, key, good, newkey, h.free_port())
    finally:
        good.stop()
        newkey.stop()


def _lines_of(text: str, word: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), 1) if word in line]


def test_collect_command_reports_each_host(lab: Lab) -> None:
    inv = lab.tmp / "fleet" / "inv.yaml"
    inv.parent.mkdir()
    inv.write_text(
        "all:\n  hosts:\n"
        f"    db-01: {host_entry(lab, lab.good.port())}\n"
        f"    gone: {host_entry(lab, lab.refused)}\n"
        f"    fresh-vm: {host_entry(lab, lab.newkey.port())}\n"
    )
    home = lab.home("home-collect", trust=(lab.good,))
    p = run(home, "collect", str(inv))
    assert p.returncode == 1, p.stderr  # some hosts failed
    assert "Traceback" not in p.stderr
    rows = {line.split()[0]: line for line in p.stdout.splitlines()[2:]}
    # db-01: the R7625's 32 sysfs entries; GRUB boots grub.cfg's entry 0 (see test_collected)
    assert rows["db-01"].split()[1:6] == ["ok", "via", "ssh", "sysfs", "(32"]
    assert os.uname().release in rows["db-01"] and "6.12.11-amd64" in rows["db-01"]
    assert "/boot/grub/grub.cfg default entry 'Debian GNU/Linux'" in rows["db-01"]
    assert "MM601 connection refused" in rows["gone"]
    assert "MM601 unknown host key" in rows["fresh-vm"]
    errors = p.stderr.splitlines()
    gone = next(line for line in errors if "host gone" in line)
    assert gone.startswith(f"{inv}:4:5: MM601 host gone: connection refused: ")
    assert f"127.0.0.1:{lab.refused} refused" in gone
    vm = next(line for line in errors if "host fresh-vm" in line)
    assert vm.startswith(f"{inv}:5:5: MM601 host fresh-vm: unknown host key: ")
    assert h.ssh_fingerprint(lab.newkey.host_key) in vm
    assert not (home / ".ssh" / "known_hosts").read_text().count(str(lab.newkey.port()))
    # the cache sits beside the inventory, out of git's way
    cache = inv.parent / ".memmap-lint-cache"
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")
    assert sorted(p.name for p in cache.glob("*.json")) == [
        "db-01.json",
        "fresh-vm.json",
        "gone.json",
    ]

    # --accept-new records the unknown key (as OpenSSH's accept-new does) and collects the host
    p = run(home, "collect", str(inv), "--accept-new")
    assert p.returncode == 1, p.stderr
    rows = {line.split()[0]: line for line in p.stdout.splitlines()[2:]}
    assert rows["fresh-vm"].split()[1:4] == ["ok", "via", "ssh"]
    assert rows["db-01"].split()[1:4] == ["ok", "via", "cache"]  # fresh: not contacted
    known = (home / ".ssh" / "known_hosts").read_text()
    assert f"[127.0.0.1]:{lab.newkey.port()} {h.public_line(lab.newkey.host_key)}" in known
    assert "fresh-vm" not in p.stderr and "host gone" in p.stderr

    # every selected host failed: exit 2
    p = run(home, "collect", str(inv), "--hosts", "gone")
    assert p.returncode == 2 and "MM601 host gone" in p.stderr
    # bad usage: exit 2 with a clear message
    p = run(home, "collect", str(inv), "--max-age", "soon")
    assert p.returncode == 2 and "--max-age 'soon'" in p.stderr and "Traceback" not in p.stderr
    p = run(home, "collect", str(inv), "--hosts", "nomatch")
    assert p.returncode == 2 and "--hosts 'nomatch' selects no host" in p.stderr


def _report(p: subprocess.CompletedProcess[str]) -> tuple[dict[str, dict], list[dict]]:
    data = json.loads(p.stdout)
    return {x["host"]: x for x in data["hosts"]}, data["findings"]


def test_lint_collect_missing(lab: Lab) -> None:
    inv = lab.tmp / "lint" / "inv.yaml"
    inv.parent.mkdir()
    plan = 'kernel: 6.12.11-amd64, kernel_cmdline: "ro reserve_mem=12M:4096:oops ramoops.mem_name=oops"'
    inv.write_text(
        textwrap.dedent(f"""\
        all:
          hosts:
            db-01: {host_entry(lab, lab.good.port(), ", " + plan)}
            db-02: {host_entry(lab, lab.good.port())}
            file-01: {{e820: '{R7625_MAP}', {plan}}}
            gone: {host_entry(lab, lab.refused)}
        """)
    )
    home = lab.home("home-lint", trust=(lab.good,))
    p = run(home, str(inv), "--collect", "missing", "--format", "json")
    assert p.returncode == 1, p.stderr  # MM601 is an error finding
    hosts, findings = _report(p)
    # db-01's map came over SSH from the R7625 fixture: the same table as linting the fixture's
    # /sys/firmware/memmap directory from a file, and the same placement but for the CPU count:
    # db-01's facts hold this machine's /sys/devices/system/cpu/possible (the lab's sshd runs
    # here), file-01 assumes 8
    assert hosts["db-01"]["e820"] == hosts["file-01"]["e820"] and hosts["db-01"]["e820"]
    db, fl = hosts["db-01"]["regions"], hosts["file-01"]["regions"]
    assert [{**r, "start": 0} for r in db] == [{**r, "start": 0} for r in fl]
    possible = Path("/sys/devices/system/cpu/possible").read_text().strip()
    cpus = max(int(n) for n in possible.replace("-", ",").split(",")) + 1
    line = "ro reserve_mem=12M:4096:oops ramoops.mem_name=oops"
    here = simulate(load_capture(R7625_MAP).entries, line, kernel_for("6.12.11-amd64"),
                    options=Options(facts=Facts(cpus=cpus)))  # fmt: skip
    assert [r["start"] for r in db] == [r.start for r in here.regions]
    (region,) = hosts["db-01"]["regions"]
    assert (region["name"], region["size"], region["status"]) == ("oops", 12 << 20, "placed")
    # db-02 says nothing: the next boot's kernel and command line come from its grub.cfg
    assert (hosts["db-02"]["kernel"], hosts["db-02"]["dialect"]) == ("6.12.11-amd64", "mainline")
    assert hosts["db-02"]["e820"] == hosts["file-01"]["e820"] and hosts["db-02"]["regions"] == []
    mm601 = [f for f in findings if f["code"] == "MM601"]
    assert [(f["host"], f["severity"], f["path"], f["line"], f["column"]) for f in mm601] == [
        ("gone", "error", str(inv), 6, 5)
    ]
    assert "connection refused" in mm601[0]["message"]
    assert "without a firmware map" in mm601[0]["message"]
    assert hosts["gone"]["e820"] == []
    # --ignore works on MM601 like on any rule
    p = run(home, str(inv), "--collect", "missing", "--format", "json", "--ignore", "MM601")
    assert not [f for f in _report(p)[1] if f["code"] == "MM601"]
    # --collect never: no SSH at all, so db-01 and db-02 have no map
    p = run(home, str(inv), "--format", "json")
    hosts, findings = _report(p)
    assert hosts["db-01"]["e820"] == [] and not [f for f in findings if f["code"] == "MM601"]


def test_every_host_unreachable_exits_2(lab: Lab) -> None:
    inv = lab.tmp / "down.yaml"
    inv.write_text(f"all:\n  hosts:\n    gone: {host_entry(lab, lab.refused)}\n")
    p = run(lab.home("home-down"), str(inv), "--collect", "always", "--format", "json")
    assert p.returncode == 2, p.stderr
    _, findings = _report(p)  # the report is still written
    assert [f["code"] for f in findings] == ["MM601"]


def test_cache_reuse_refresh_and_stale(lab: Lab) -> None:
    solo = h.start_server("solo", lab.tmp / "solo", [lab.key], h.FIXTURES / "r7625")
    inv = lab.tmp / "solo-inv" / "inv.yaml"
    inv.parent.mkdir()
    plan = 'kernel: 6.12.11-amd64, kernel_cmdline: "ro reserve_mem=12M:4096:oops ramoops.mem_name=oops"'
    inv.write_text(f"all:\n  hosts:\n    solo: {host_entry(lab, solo.port(), ', ' + plan)}\n")
    home = lab.home("home-solo", trust=(solo,))
    cache_dir = lab.tmp / "solo-cache"
    try:
        p = run(home, "collect", str(inv), "--cache-dir", str(cache_dir))
        assert p.returncode == 0, p.stderr
        assert "ok via ssh" in p.stdout
    finally:
        solo.stop()
    # the server is gone: a fresh cache answers without connecting
    p = run(home, "collect", str(inv), "--cache-dir", str(cache_dir))
    assert p.returncode == 0, p.stderr
    assert "ok via cache" in p.stdout
    p = run(
        home, str(inv), "--collect", "missing", "--cache-dir", str(cache_dir), "--format", "json"
    )
    hosts, findings = _report(p)
    assert [r["status"] for r in hosts["solo"]["regions"]] == ["placed"]
    assert not [f for f in findings if f["code"] in ("MM601", "MM603")]
    # --refresh connects, whatever the cache says
    p = run(home, "collect", str(inv), "--cache-dir", str(cache_dir), "--refresh")
    assert p.returncode == 2 and "MM601 host solo: connection refused" in p.stderr
    # older than --max-age: collection is tried, fails, and the cached map is used with MM603
    p = run(
        home, str(inv), "--collect", "missing", "--cache-dir", str(cache_dir),
        "--max-age", "0", "--format", "json",
    )  # fmt: skip
    assert p.returncode == 2, p.stderr  # the only host is unreachable
    hosts, findings = _report(p)
    assert [r["status"] for r in hosts["solo"]["regions"]] == ["placed"]
    by_code = {f["code"]: f for f in findings}
    assert "last cached facts" in by_code["MM601"]["message"]
    assert "collection failed (refused)" in by_code["MM603"]["message"]
    # a cache 200 days old is beyond max-capture-age-days (90)
    cache = Cache(cache_dir)
    entry = cache.load("solo")
    assert entry is not None and entry.facts is not None
    old = replace(entry.facts, collected_at="2020-01-01T00:00:00Z")
    cache.write(replace(entry, facts=old, facts_at=1577836800.0))
    p = run(
        home, str(inv), "--collect", "missing", "--cache-dir", str(cache_dir), "--format", "json"
    )
    by_code = {f["code"]: f for f in _report(p)[1]}
    assert (
        "days old (taken 2020-01-01T00:00:00Z), older than 90 days" in by_code["MM603"]["message"]
    )


def test_progress_on_a_terminal_only(lab: Lab) -> None:
    import pty

    inv = lab.tmp / "progress.yaml"
    inv.write_text(f"all:\n  hosts:\n    db-01: {host_entry(lab, lab.good.port())}\n")
    home = lab.home("home-progress", trust=(lab.good,))
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    env["HOME"] = str(home)
    master, slave = pty.openpty()
    args = [sys.executable, "-m", "memmap_lint.cli.main", "collect", str(inv), "--refresh"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(60) == 0
    assert proc.stdout is not None and "ok via ssh" in proc.stdout.read().decode()
    assert b"collect: 1/1 done, 0 failed, 0 remaining, " in seen
    # not a terminal: nothing on stderr
    p = run(home, "collect", str(inv), "--refresh")
    assert p.returncode == 0 and p.stderr == ""
