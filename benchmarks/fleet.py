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
from typing import Any

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


#: The inventory forms written for one fleet: file name, and its bare load (a Python snippet
#: reading ``sys.argv[1]`` and nothing else).
FORMATS: dict[str, tuple[str, str]] = {
    "yaml": (
        "fleet.yaml",
        "import sys, yaml\n"
        "with open(sys.argv[1], 'rb') as f: yaml.load(f, Loader=yaml.CSafeLoader)",
    ),
    "ini": (
        "fleet.ini",
        # configparser reads the same lines (a host line is a key, '=' its first delimiter)
        "import sys, configparser\n"
        "c = configparser.RawConfigParser(allow_no_value=True, delimiters=('=',), strict=False,"
        " interpolation=None)\nc.optionxform = str\nc.read(sys.argv[1], encoding='utf-8')",
    ),
    "json": (
        "fleet-list.json",
        "import sys, json\nwith open(sys.argv[1], 'rb') as f: json.load(f)",
    ),
    "json-export": (
        "fleet-export.json",
        "import sys, json\nwith open(sys.argv[1], 'rb') as f: json.load(f)",
    ),
}


@dataclass
class Model:
    """One fleet, independent of its inventory format."""

    all_vars: dict[str, Any]
    #: parent group -> (its vars, its child groups)
    parents: dict[str, tuple[dict[str, Any], list[str]]]
    #: leaf group -> (its vars, its hosts with their own vars)
    groups: dict[str, tuple[dict[str, Any], dict[str, dict[str, Any]]]]


def build(hosts: int, profiles: int) -> tuple[Model, int]:
    """The fleet of ``hosts`` hosts over ``profiles`` (map, group) pairs; the pairs used."""
    maps = sorted(E820.glob("*.txt"))
    pairs: list[tuple[int, str]] = []  # (group index, map name)
    for i, m in enumerate(maps):
        for k in range(GROUPS_PER_MAP):
            pairs.append(((i + k * 3) % len(GROUPS), m.name))
    pairs = pairs[:profiles]
    model = Model(
        {"kernel": "6.1.0-28-amd64", "kernel_cmdline": "ro quiet", "owner": "platform-team"},
        {},
        {},
    )
    for name, parent, kernel, feats, cmdline in GROUPS:
        _, children = model.parents.setdefault(parent, ({"site": parent}, []))
        children.append(name)
        gvars: dict[str, Any] = {"kernel": kernel, "kernel_cmdline": cmdline}
        if feats:
            gvars["kernel_features"] = list(feats)
        model.groups[name] = (gvars, {})
    for n in range(hosts):
        g, name = pairs[n % len(pairs)]
        hvars: dict[str, Any] = {
            "e820": f"captures/{name}",
            "ansible_host": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
        }
        if n % 10 == 3:
            hvars["hardware"] = {"product": name[:12], "bios": f"1.{n % 3}"}
        if n % 97 == 5:  # a few hosts carry their own command line
            hvars["kernel_cmdline"] = "ro quiet reserve_mem=4M:4096:oops ramoops.mem_name=oops"
        if n % 50 == 7:
            hvars["e820_captured_at"] = "2024-01-15"
        model.groups[GROUPS[g][0]][1][f"h{n:06d}"] = hvars
    return model, len(pairs)


def to_yaml(m: Model) -> str:
    def flow(v: Any) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k}: {flow(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(flow(x) for x in v) + "]"
        return json.dumps(v) if " " in v or v[:1].isdigit() else v

    def block(d: dict[str, Any], indent: str) -> list[str]:
        return [f"{indent}{k}: {flow(v)}" for k, v in d.items()]

    out = ["all:", "  vars:", *block(m.all_vars, "    "), "  children:"]
    for parent, (pvars, children) in m.parents.items():
        out += [f"    {parent}:", "      vars:", *block(pvars, "        "), "      children:"]
        for g in children:
            gvars, members = m.groups[g]
            out += [f"        {g}:", "          vars:", *block(gvars, "            ")]
            out.append("          hosts:")
            out += [f"            {h}: {flow(v)}" for h, v in members.items()]
    return "\n".join(out) + "\n"


def to_ini(m: Model) -> str:
    def word(v: Any) -> str:  # a value as ansible-core's ini plugin reads it back
        if isinstance(v, str):
            return json.dumps(v) if " " in v else v
        return json.dumps(repr(v))

    def lines(d: dict[str, Any]) -> list[str]:
        return [f"{k}={v if isinstance(v, str) else repr(v)}" for k, v in d.items()]

    out = ["[all:vars]", *lines(m.all_vars), ""]
    for parent, (pvars, children) in m.parents.items():
        out += [f"[{parent}:children]", *children, "", f"[{parent}:vars]", *lines(pvars), ""]
        for g in children:
            gvars, members = m.groups[g]
            out += [f"[{g}:vars]", *lines(gvars), "", f"[{g}]"]
            out += [
                h + "".join(f" {k}={word(v)}" for k, v in hv.items()) for h, hv in members.items()
            ]
            out.append("")
    return "\n".join(out)


def to_list_json(m: Model, export: bool) -> str:
    """What ``ansible-inventory --list`` (``--export``) prints for this fleet (indent 4, sorted)."""
    doc: dict[str, Any] = {"_meta": {"hostvars": {}}}
    hostvars = doc["_meta"]["hostvars"]
    doc["all"] = {"children": ["ungrouped", *m.parents]}
    if export:
        doc["all"]["vars"] = m.all_vars
    for parent, (pvars, children) in m.parents.items():
        doc[parent] = {"children": children}
        if export:
            doc[parent]["vars"] = pvars
        for g in children:
            gvars, members = m.groups[g]
            doc[g] = {"hosts": list(members)}
            if export:
                doc[g]["vars"] = gvars
            for h, hv in members.items():
                hostvars[h] = hv if export else {**m.all_vars, **pvars, **gvars, **hv}
    return json.dumps(doc, indent=4, sort_keys=True)


def generate(dest: Path, hosts: int, profiles: int) -> dict[str, Fleet]:
    """Write the fleet in every form of ``FORMATS`` and ``dest/captures/``; by format."""
    caps = dest / "captures"
    caps.mkdir(parents=True, exist_ok=True)
    for m in sorted(E820.glob("*.txt")):
        shutil.copyfile(m, caps / m.name)
    model, used = build(hosts, profiles)
    texts = {
        "yaml": to_yaml(model),
        "ini": to_ini(model),
        "json": to_list_json(model, export=False),
        "json-export": to_list_json(model, export=True),
    }
    out: dict[str, Fleet] = {}
    for fmt, text in texts.items():
        path = dest / FORMATS[fmt][0]
        path.write_text(text, encoding="utf-8")
        out[fmt] = Fleet(path, hosts, used)
    return out


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


def lint_argv(path: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "memmap_lint.cli.main", str(path), "--format", "json",
            "--output", str(out)]  # fmt: skip


@dataclass(frozen=True)
class Measured:
    """Best-of-n runs of one fleet: the YAML form's bare load, and per format its own bare load
    and the lint."""

    yaml: Run
    own: dict[str, Run]
    lint: dict[str, Run]


def measure(fleets: dict[str, Fleet], formats: list[str], repeat: int, work: Path) -> Measured:
    """Best-of-``repeat`` runs, interleaved so that drift hits every column alike.

    Every format's report must count the same hosts and the same findings.
    """
    runs: dict[str, list[Run]] = {}
    for _ in range(repeat):
        for fmt in formats:
            fleet = fleets[fmt]
            runs.setdefault(f"base:{fmt}", []).append(
                run([sys.executable, "-c", FORMATS[fmt][1], str(fleet.path)])
            )
            out = work / f"report-{fmt}.json"
            runs.setdefault(f"lint:{fmt}", []).append(run(lint_argv(fleet.path, out)))
    summaries = {}
    for fmt in formats:
        report = json.loads((work / f"report-{fmt}.json").read_text())
        if report["summary"]["hosts"] != fleets[fmt].hosts:
            raise SystemExit(f"{fmt}: the report has {report['summary']['hosts']} hosts")
        summaries[fmt] = report["summary"]
    if len({json.dumps(v, sort_keys=True) for v in summaries.values()}) > 1:
        raise SystemExit(f"the formats disagree: {summaries}")
    if "base:yaml" not in runs:
        runs["base:yaml"] = [
            run([sys.executable, "-c", FORMATS["yaml"][1], str(fleets["yaml"].path)])
            for _ in range(repeat)
        ]
    return Measured(
        _best(runs["base:yaml"]),
        {f: _best(runs[f"base:{f}"]) for f in formats},
        {f: _best(runs[f"lint:{f}"]) for f in formats},
    )


def _best(runs: list[Run]) -> Run:
    return Run(
        min(r.seconds for r in runs),
        min(r.cpu for r in runs),
        statistics.median(r.rss_mib for r in runs),
        runs[0].status,
    )


def findings_share(work: Path) -> tuple[float, float]:
    """Shares of hosts with any finding and with a warning or an error."""
    report = json.loads((work / "report-yaml.json").read_text())
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
    parser.add_argument(
        "--formats", default=",".join(FORMATS), help=f"of {', '.join(FORMATS)}, comma-separated"
    )
    parser.add_argument("--profiles", type=int, default=300, help="distinct hardware profiles")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (best time is shown)")
    parser.add_argument(
        "--growth-hosts",
        type=int,
        default=10000,
        help="host count of the distinct-profiles sweep, YAML (0: skip it)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    formats = [f for f in args.formats.split(",") if f]
    if unknown := set(formats) - set(FORMATS):
        parser.error(f"unknown formats: {', '.join(sorted(unknown))}")
    rows: list[list[str]] = []
    per_host: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="memmap-fleet-") as tmp:
        for n in sizes:
            work = Path(tmp) / f"n{n}"
            fleets = generate(work, n, args.profiles)
            m = measure(fleets, formats, args.repeat, work)
            share, bad = findings_share(work) if "yaml" in formats else (0.0, 0.0)
            for fmt in formats:
                own, lint, yml = m.own[fmt], m.lint[fmt], m.yaml
                rows.append(
                    [
                        f"{n:,}",
                        fmt,
                        f"{share:.0%}/{bad:.0%}" if "yaml" in formats else "-",
                        f"{fleets[fmt].path.stat().st_size / 2**20:.1f}",
                        f"{yml.seconds:.2f}",
                        f"{own.seconds:.2f}",
                        f"{lint.seconds:.2f}",
                        f"{lint.seconds / own.seconds:.2f}x",
                        f"{lint.seconds / yml.seconds:.2f}x",
                        f"{lint.cpu / yml.cpu:.2f}x",
                        f"{yml.rss_mib:.0f}",
                        f"{lint.rss_mib:.0f}",
                        f"{lint.rss_mib / yml.rss_mib:.2f}x",
                    ]
                )
                per_host.setdefault(fmt, []).append(f"{lint.seconds / n * 1e6:.1f}")
            print(f"measured {n:,} hosts", file=sys.stderr)
        print(
            table(
                rows,
                [
                    "hosts",
                    "format",
                    "findings any/warn+",
                    "MiB file",
                    "yaml load s",
                    "own load s",
                    "lint s",
                    "vs own load",
                    "vs yaml load",
                    "cpu vs yaml",
                    "yaml MiB",
                    "lint MiB",
                    "RSS vs yaml",
                ],
            )
        )
        if len(sizes) > 1:
            print("\nGrowth with host count (lint time per host, microseconds):")
            print(
                table(
                    [[f, *v] for f, v in per_host.items()],
                    ["format", *(f"{n:,}" for n in sizes)],
                )
            )
        if args.growth_hosts:
            grow: list[list[str]] = []
            for p in (30, 100, 300):
                work = Path(tmp) / f"p{p}"
                fleets = generate(work, args.growth_hosts, p)
                m = measure(fleets, ["yaml"], args.repeat, work)
                base, lint = m.yaml, m.lint["yaml"]
                grow.append(
                    [
                        str(fleets["yaml"].profiles),
                        f"{base.seconds:.2f}",
                        f"{lint.seconds:.2f}",
                        f"{lint.seconds / base.seconds:.2f}x",
                        f"{base.cpu:.2f}",
                        f"{lint.cpu:.2f}",
                        f"{lint.cpu / base.cpu:.2f}x",
                    ]
                )
            print(f"\nGrowth with distinct profiles ({args.growth_hosts:,} hosts, YAML):")
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
