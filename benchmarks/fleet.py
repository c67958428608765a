"""Benchmark: linting a generated fleet against just loading its inventory with libyaml.

Generates inventories of 1k, 10k and 100k hosts spread over about 300 hardware profiles (the
real e820 captures of tests/fixtures/e820 paired with per-group kernels and command lines, in
nested groups, with a realistic share of findings), then runs, each several times and each in a
fresh process:

- the baseline: ``yaml.load(inventory, Loader=yaml.CSafeLoader)`` and nothing else;
- ``memmap-lint INVENTORY --format json --output FILE`` end to end.

It prints wall time, peak RSS of the child (``os.wait4``'s rusage), the ratios to the baseline
and hosts per second, then how time grows with host count and with distinct profiles. Not a
test: ``python benchmarks/fleet.py`` (``--sizes 1000,10000 --repeat 2`` for a quick look).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
E820 = ROOT / "tests" / "fixtures" / "e820"

#: Per-group kernels and command lines: (group, parent, kernel, features, cmdline, map share).
#: Several carry mistakes the linter reports (a wildcard on a stock kernel, a region too large for
#: small machines, a dangling ramoops name, more than four memmap= values), so that a realistic
#: share of hosts has findings.
GROUPS: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    (
        "db",
        "eu",
        "6.8.0-41-rfc",
        ("memmap-wildcard",),
        "ro quiet memmap=12M*4096:oops ramoops.mem_name=oops ramoops.record_size=0x10000",
    ),
    (
        "db_big",
        "eu",
        "6.8.0-41-rfc",
        ("memmap-wildcard",),
        "ro quiet memmap=1G*2M:trace memmap=16M*4096:oops ramoops.mem_name=oops",
    ),
    ("web", "eu", "6.12.0-1-amd64", (), "ro quiet reserve_mem=12M:4096:oops ramoops.mem_name=oops"),
    (
        "web_trace",
        "us",
        "6.12.0-1-amd64",
        (),
        "ro reserve_mem=64M:2M:trace trace_instance=boot_map@trace reserve_mem=2M:4096:oops "
        "ramoops.mem_name=oops",
    ),
    ("cache", "us", "6.1.0-28-amd64", (), "ro quiet console=ttyS0,115200"),
    ("legacy", "us", "6.1.0-28-amd64", (), "ro quiet memmap=12M*4096:oops ramoops.mem_name=oops"),
    ("batch", "apac", "6.12.0-1-amd64", (), "ro reserve_mem=8M:4096:oops ramoops.mem_name=opps"),
    ("compute", "apac", "6.12.0-1-amd64", (), "ro quiet intel_iommu=on"),
    ("edge", "us", "6.1.0-28-amd64", (), "ro quiet"),
    ("ml", "eu", "6.12.0-1-amd64", (), "ro quiet hugepagesz=1G hugepages=16"),
    (
        "storage",
        "apac",
        "6.6.0-rc1",
        (),
        "ro memmap=1M$0x9f000 memmap=2M$0x3000000 memmap=4M$0x4000000 memmap=8M$0x8000000 "
        "memmap=16M$0x10000000",
    ),
)
#: How many groups each map serves: 154 maps x 2 = 308 (map, group) pairs; the first 300 are used.
GROUPS_PER_MAP = 2


@dataclass(frozen=True)
class Fleet:
    path: Path
    hosts: int
    profiles: int


def generate(dest: Path, hosts: int, profiles: int) -> Fleet:
    """Write ``dest/fleet.yaml`` and ``dest/captures/``: ``hosts`` hosts over ``profiles``."""
    maps = sorted(E820.glob("*.txt"))
    caps = dest / "captures"
    caps.mkdir(parents=True, exist_ok=True)
    for m in maps:
        shutil.copyfile(m, caps / m.name)
    pairs: list[tuple[int, str]] = []  # (group index, map name)
    for i, m in enumerate(maps):
        for k in range(GROUPS_PER_MAP):
            pairs.append(((i + k * 3) % len(GROUPS), m.name))
    pairs = pairs[:profiles]
    members: dict[int, list[str]] = {g: [] for g in range(len(GROUPS))}
    for n in range(hosts):
        g, name = pairs[n % len(pairs)]
        ident = f"h{n:06d}"
        parts = [
            f"e820: captures/{name}",
            f"ansible_host: 10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
        ]
        if n % 10 == 3:
            parts.append(f"hardware: {{product: {name[:12]}, bios: '1.{n % 3}'}}")
        if n % 97 == 5:  # a few hosts carry their own command line
            parts.append(
                'kernel_cmdline: "ro quiet reserve_mem=4M:4096:oops ramoops.mem_name=oops"'
            )
        if n % 50 == 7:
            parts.append("e820_captured_at: '2024-01-15'")
        members[g].append(f"        {ident}: {{{', '.join(parts)}}}")
    out = [
        "all:",
        "  vars:",
        "    kernel: 6.1.0-28-amd64",
        '    kernel_cmdline: "ro quiet"',
        "    owner: platform-team",
        "  children:",
    ]
    parents: dict[str, list[int]] = {}
    for g, (_, parent, *_rest) in enumerate(GROUPS):
        parents.setdefault(parent, []).append(g)
    for parent, gs in parents.items():
        out += [f"    {parent}:", "      vars:", f"        site: {parent}", "      children:"]
        for g in gs:
            name, _, kernel, feats, cmdline = GROUPS[g]
            out += [
                f"        {name}:",
                "          vars:",
                f"            kernel: {kernel}",
                f"            kernel_cmdline: {json.dumps(cmdline)}",
            ]
            if feats:
                out.append(f"            kernel_features: [{', '.join(feats)}]")
            out.append("          hosts:")
            out += ["    " + line for line in members[g]]
    path = dest / "fleet.yaml"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return Fleet(path, hosts, len(pairs))


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu: float
    rss_mib: float
    status: int


def run(argv: list[str]) -> Run:
    """Run ``argv`` in a fresh process: wall and CPU time, its own peak RSS, its exit status."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    code = proc.returncode
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({code}):\n{err}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code)


BASELINE = (
    "import sys, yaml\nwith open(sys.argv[1], 'rb') as f: yaml.load(f, Loader=yaml.CSafeLoader)"
)


def measure(fleet: Fleet, repeat: int, work: Path) -> tuple[Run, Run]:
    """Best-of-``repeat`` baseline and lint runs (interleaved so that drift hits both)."""
    base: list[Run] = []
    lint: list[Run] = []
    out = work / "report.json"
    for _ in range(repeat):
        base.append(run([sys.executable, "-c", BASELINE, str(fleet.path)]))
        lint.append(
            run(
                [
                    sys.executable,
                    "-m",
                    "memmap_lint.cli.main",
                    str(fleet.path),
                    "--format",
                    "json",
                    "--output",
                    str(out),
                ]
            )
        )
    report = json.loads(out.read_text())
    if report["summary"]["hosts"] != fleet.hosts:
        raise SystemExit(f"the report has {report['summary']['hosts']} hosts, not {fleet.hosts}")
    return _best(base), _best(lint)


def _best(runs: list[Run]) -> Run:
    return Run(
        min(r.seconds for r in runs),
        min(r.cpu for r in runs),
        statistics.median(r.rss_mib for r in runs),
        runs[0].status,
    )


def findings_share(work: Path) -> tuple[float, float]:
    """Shares of hosts with any finding and with a warning or an error."""
    report = json.loads((work / "report.json").read_text())
    hosts = report["hosts"]
    bad = sum(1 for h in hosts if any(f["severity"] != "info" for f in h["findings"]))
    return sum(1 for h in hosts if h["findings"]) / max(1, len(hosts)), bad / max(1, len(hosts))


def table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))
    body = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="host counts, comma-separated")
    parser.add_argument("--profiles", type=int, default=300, help="distinct hardware profiles")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (best time is shown)")
    parser.add_argument(
        "--growth-hosts",
        type=int,
        default=10000,
        help="host count of the distinct-profiles sweep (0: skip it)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    rows: list[list[str]] = []
    lint_times: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="memmap-fleet-") as tmp:
        for n in sizes:
            work = Path(tmp) / f"n{n}"
            fleet = generate(work, n, args.profiles)
            base, lint = measure(fleet, args.repeat, work)
            lint_times[n] = lint.seconds
            share, bad = findings_share(work)
            rows.append(
                [
                    f"{n:,}",
                    str(fleet.profiles),
                    f"{share:.0%}/{bad:.0%}",
                    f"{base.seconds:.2f}",
                    f"{lint.seconds:.2f}",
                    f"{lint.seconds / base.seconds:.2f}x",
                    f"{base.cpu:.2f}",
                    f"{lint.cpu:.2f}",
                    f"{lint.cpu / base.cpu:.2f}x",
                    f"{base.rss_mib:.0f}",
                    f"{lint.rss_mib:.0f}",
                    f"{lint.rss_mib / base.rss_mib:.2f}x",
                    f"{n / lint.seconds:,.0f}",
                ]
            )
            print(f"measured {n:,} hosts", file=sys.stderr)
        print(
            table(
                rows,
                [
                    "hosts",
                    "profiles",
                    "findings any/warn+",
                    "yaml s",
                    "lint s",
                    "wall ratio",
                    "yaml cpu",
                    "lint cpu",
                    "cpu ratio",
                    "yaml MiB",
                    "lint MiB",
                    "RSS ratio",
                    "hosts/s",
                ],
            )
        )
        if len(sizes) > 1:
            print("\nGrowth with host count (lint time per host, microseconds):")
            print(
                table(
                    [[f"{n:,}", f"{lint_times[n] / n * 1e6:.1f}"] for n in sizes],
                    ["hosts", "lint us/host"],
                )
            )
        if args.growth_hosts:
            grow: list[list[str]] = []
            for p in (30, 100, 300):
                work = Path(tmp) / f"p{p}"
                fleet = generate(work, args.growth_hosts, p)
                base, lint = measure(fleet, args.repeat, work)
                grow.append(
                    [
                        str(fleet.profiles),
                        f"{base.seconds:.2f}",
                        f"{lint.seconds:.2f}",
                        f"{lint.seconds / base.seconds:.2f}x",
                        f"{base.cpu:.2f}",
                        f"{lint.cpu:.2f}",
                        f"{lint.cpu / base.cpu:.2f}x",
                    ]
                )
            print(f"\nGrowth with distinct profiles ({args.growth_hosts:,} hosts):")
            print(
                table(
                    grow,
                    [
                        "profiles",
                        "yaml s",
                        "lint s",
                        "wall ratio",
                        "yaml cpu",
                        "lint cpu",
                        "cpu ratio",
                    ],
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
