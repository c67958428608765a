"""Benchmark: collect() against OpenSSH's ``ssh`` run in parallel (``xargs -P``).

Starts N loopback sshd hosts (tests/sshd_harness.py; root, openssh-server installed), then
collects from all of them with ``memmap_lint.collect.ssh.collect`` and with ``ssh`` processes
running the very same remote script (so both read the same files), and prints both times, the
ratio and hosts per second. Not a test: ``python benchmarks/collect.py --hosts 32 --jobs 16``.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import sshd_harness as h
from memmap_lint.collect.script import REMOTE_COMMAND, remote_script
from memmap_lint.collect.ssh import CollectOptions, HostFacts, SSHTarget, collect


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=32)
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--fixture", default="r7625", help="fixture host under tests/fixtures/sshd")
    args = parser.parse_args()
    why = h.sshd_available()
    if why:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        key = h.keygen(tmp / "user")
        servers = []
        try:
            for i in range(args.hosts):
                servers.append(
                    h.start_server(f"h{i}", tmp / f"h{i}", [key], h.FIXTURES / args.fixture)
                )
            known = tmp / "known_hosts"
            known.write_text("".join(f"{s.known_hosts_lines()[0]}\n" for s in servers))
            targets = [
                SSHTarget(s.name, "127.0.0.1", s.port(), "root", (str(key),)) for s in servers
            ]
            options = CollectOptions(
                jobs=args.jobs,
                known_hosts=(str(known),),
                system_known_hosts=(),
                ssh_config=None,
                use_agent=False,
            )
            t0 = time.perf_counter()
            results = collect(targets, options)
            ours = time.perf_counter() - t0
            ok = sum(isinstance(r, HostFacts) for r in results.values())
            script = tmp / "script.sh"
            script.write_text(remote_script(False))
            one = " ".join(shlex.quote(a) for a in h.ssh_command(key, known, 0, REMOTE_COMMAND))
            one = one.replace(" -p 0 ", " -p {} ")
            ports = "".join(f"{s.port()}\n" for s in servers)
            t0 = time.perf_counter()
            ssh = subprocess.run(
                ["xargs", "-P", str(args.jobs), "-I{}", "sh", "-c",
                 f"{one} < {shlex.quote(str(script))} > /dev/null"],
                input=ports, text=True, check=False,
            )  # fmt: skip
            theirs = time.perf_counter() - t0
        finally:
            for s in servers:
                s.stop()
    n = args.hosts
    print(f"hosts={n} jobs={args.jobs} collected={ok}/{n} ssh_exit={ssh.returncode}")
    print(f"memmap-lint collect: {ours:.2f}s  ({n / ours:.1f} hosts/s)")
    print(f"ssh via xargs -P:    {theirs:.2f}s  ({n / theirs:.1f} hosts/s)")
    print(f"ratio (collect / ssh): {ours / theirs:.2f}")
    return 0 if ok == n and ssh.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
