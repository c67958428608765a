"""After the reboot: what the running kernel shows, compared with the simulation of its boot.

The simulation is the command line the host actually booted (``/proc/cmdline``) on its firmware
map (``/sys/firmware/memmap`` or the ``BIOS-e820`` lines) under the running release. What the
kernel shows comes from the post-boot facts (``collect.postboot``), read as the kernel writes it:

* ``reserve_mem=`` regions print nothing (mm/memblock.c ``reserve_mem()``, 6.11-7.0) and are not
  in ``/proc/iomem``; a region is seen through its consumers: ramoops overwrites its
  ``mem_address``/``mem_size`` parameters with the region ``reserve_mem_find_by_name()`` found
  (fs/pstore/ram.c ``ramoops_init()``, 6.11+; left at 0 when the name is unknown), and a boot
  trace instance prints ``Tracing: mapped boot instance NAME at physical memory ADDR of size
  SIZE`` or ``Failed to map boot instance NAME to REGION`` (kernel/trace/trace.c
  ``enable_instances()``, 6.12); debugfs ``memblock/reserve_mem_param`` lists names and sizes
  where the kernel has it. A lookup returns the first region of a name, so a second one of the
  same name is never seen: the simulation's verdict (-EBUSY) stands for it.
* ``memmap=`` edits (stock and rfc): the ``user-defined physical RAM map`` the kernel printed
  (arch/x86/kernel/e820.c ``e820__finish_early_params()``) is compared entry by entry with the
  simulated table, which makes every wildcard region's address exact.
* ramoops: ``ramoops: using SIZE@ADDR, ecc: N`` once it registered (``ramoops_probe()``);
  ``pstore: backend 'X' already loaded: ignoring 'ramoops'`` when another backend won
  (fs/pstore/platform.c ``pstore_register()``).

``check_host`` returns a JSON-ready dict the MM7xx rules read from ``facts["verify"]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from memmap_lint.captures.parse import parse_capture
from memmap_lint.collect.facts import CollectFailure, HostFacts
from memmap_lint.collect.postboot import IOMEM, PostBoot
from memmap_lint.engine.collected import view_of
from memmap_lint.engine.findings import Location
from memmap_lint.engine.hostinput import CaptureCache, HostInput, Sources, build, resolve_kernel
from memmap_lint.engine.inventory_input import sources_of
from memmap_lint.engine.observed import (
    TRACE_FAILED,
    TRACE_MAPPED,
    as_int,
    klog_lines,
    matches,
    observed_regions,
)
from memmap_lint.errors import LintError
from memmap_lint.inventory.model import Host
from memmap_lint.inventory.yamlpos import Pos
from memmap_lint.kernel.cmdline import Cmdline, parse
from memmap_lint.kernel.consumers import ZONES, instances, ramoops_value
from memmap_lint.kernel.e820 import Entry
from memmap_lint.kernel.model import MAINLINE, PLACED, Simulation
from memmap_lint.kernel.release import Kernel
from memmap_lint.kernel.simulate import Options, simulate

if TYPE_CHECKING:
    from memmap_lint.engine.results import HostResult
    from memmap_lint.rule import Rule

_RAMOOPS_USING = re.compile(r"ramoops: using 0x([0-9a-f]+)@0x([0-9a-f]+), ecc: (\d+)")
_RAMOOPS_LINE = re.compile(r"ramoops: (.*?)\s*$")
_PSTORE_OTHER = re.compile(r"pstore: backend '([^']*)' already loaded: ignoring '([^']*)'")
#: The rules ``verify`` runs unless its ``select`` names others (CLI and Ansible alike).
VERIFY_SELECT = ("MM6", "MM7")
#: The kernel's own ramoops messages that are not failures.
_RAMOOPS_OK = ("using module parameters", "using 0x")

Json = dict[str, Any]


def _user_map(pb: PostBoot) -> tuple[Entry, ...] | None:
    if not pb.klog or "user-defined physical RAM map" not in pb.klog:
        return None
    try:
        return parse_capture(pb.klog, "kernel log").user_map
    except LintError:
        return None


def _table_check(sim: Simulation, pb: PostBoot) -> Json:
    """The kernel's printed user-defined map against the simulated table."""
    printed = _user_map(pb)
    if printed is None:
        return {"checked": False, "userdef": sim.userdef}
    want = [(e.start, e.size, e.type) for e in sim.table]
    got = [(e.start, e.size, e.type) for e in printed]
    return {
        "checked": True,
        "userdef": sim.userdef,
        "matches": want == got,
        "missing": [list(e) for e in want if e not in got],
        "unexpected": [list(e) for e in got if e not in want],
    }


def _regions(sim: Simulation, pb: PostBoot, table: Json) -> list[Json]:
    seen, absent = observed_regions(pb, sim.cmdline)
    out: list[Json] = []
    first_of: dict[str, int] = {}
    for i, r in enumerate(sim.regions):
        item: Json = {
            "index": i,
            "name": r.name,
            "kind": r.kind,
            "size": r.size,
            "predicted": r.start,
            "approximate": r.approximate,
            "status": r.status,
            "note": r.note,
            "actual": None,
            "actual_size": None,
            "evidence": "",
        }
        name = r.name or ""
        got = seen.get(name) if r.kind == "reserve_mem" and name not in first_of else None
        if r.status != PLACED or r.start is None:
            item["state"] = "absent"
            item["evidence"] = "refused at boot, as simulated"
            if got is not None:  # the kernel has it although the simulation refused it
                item["actual"], item["actual_size"] = got["start"], got["size"]
                item["state"], item["evidence"] = "moved", got["evidence"]
                first_of.setdefault(name, i)
        elif r.kind == "reserve_mem":
            duplicate = name in first_of
            first_of.setdefault(name, i)
            if duplicate:
                item["state"] = "unknown"
            elif got is not None:
                item["actual"], item["actual_size"] = got["start"], got["size"]
                item["evidence"] = got["evidence"]
                same_size = got["size"] in (None, r.size)
                exact = r.approximate or got["start"] in (None, r.start)
                item["state"] = "present" if same_size and exact else "moved"
            elif name in absent:
                item["state"] = "absent"
                item["evidence"] = "its consumers did not find it"
            else:
                item["state"] = "unknown"
        elif table.get("checked"):
            item["state"] = "present" if table.get("matches") else "moved"
            item["evidence"] = "the user-defined physical RAM map printed at boot"
            if table.get("matches"):
                item["actual"], item["actual_size"] = r.start, r.size
        else:
            item["state"] = "unknown"
        out.append(item)
    return out


def _ramoops(sim: Simulation, pb: PostBoot, regions: list[Json]) -> Json | None:
    wanted = sim.cmdline.named("ramoops.mem_name", "ramoops.mem_address", "ramoops.mem_size")
    if not wanted:
        return None
    lines = klog_lines(pb)
    out: Json = {"params": dict(pb.ramoops) if pb.ramoops is not None else None}
    name_param = sim.cmdline.last("ramoops.mem_name")
    name = name_param.value if name_param is not None else None
    out["mem_name"] = name
    region = next(
        (r for r in regions if r["kind"] == "reserve_mem" and r["name"] == name and name), None
    )
    out["region"] = region["index"] if region is not None else None
    using = matches(_RAMOOPS_USING, lines)
    out["errors"] = [
        m[1] for m in matches(_RAMOOPS_LINE, lines) if not m[1].startswith(_RAMOOPS_OK)
    ]
    other = matches(_PSTORE_OTHER, lines)
    out["other_backend"] = other[-1][1] if other and other[-1][2] == "ramoops" else None
    if using:
        size, start = int(using[-1][1], 16), int(using[-1][2], 16)
        out["attached"] = {"start": start, "size": size, "ecc": int(using[-1][3])}
        expected: tuple[int | None, int] | None = None
        if region is not None:
            expected = (region["actual"], region["size"])
            if expected[0] is None and not region["approximate"]:
                expected = (region["predicted"], region["size"])
        elif not name:  # ramoops.mem_address / mem_size as the command line gives them
            expected = (
                ramoops_value(sim.cmdline, "mem_address"),
                ramoops_value(sim.cmdline, "mem_size"),
            )
        where_ok = expected is None or expected[0] is None or expected == (start, size)
        out["state"] = "attached" if where_ok else "elsewhere"
        out["expected"] = list(expected) if expected is not None else None
        out["zones"] = _zones(sim.cmdline, pb.ramoops or {})
    elif pb.ramoops is None:
        out["state"] = "unknown" if "ramoops-params" in pb.denied else "not-loaded"
    elif pb.klog is None:
        out["state"] = "unknown"
    else:
        out["state"] = "not-registered"
    return out


def _zones(cmdline: Cmdline, params: Mapping[str, str]) -> dict[str, list[int]]:
    """Zone sizes ramoops registered with that differ from the command line's (``name ->
    [command line, running]``): ``ramoops_probe()`` copies the values it used back into its
    parameters, and modprobe.d options are added to the command line's (kmod)."""
    out: dict[str, list[int]] = {}
    for field in ZONES:
        running = as_int(params.get(field))
        wanted = ramoops_value(cmdline, field)
        if running is not None and running != wanted:
            out[field] = [wanted, running]
    return out


def _trace(sim: Simulation, pb: PostBoot, regions: list[Json]) -> list[Json]:
    lines = klog_lines(pb)
    mapped = {m[1]: (int(m[2], 16), int(m[3], 16)) for m in matches(TRACE_MAPPED, lines)}
    failed = {m[1]: m[2] for m in matches(TRACE_FAILED, lines)}
    out: list[Json] = []
    for p in sim.cmdline.named("trace_instance"):
        for inst in instances(p):
            item: Json = {"name": inst.name, "target": inst.target, "offset": p.start}
            if pb.trace_instances is None:
                item["state"] = "unknown"
            elif inst.name not in pb.trace_instances:
                item["state"] = "missing"
                item["failed_region"] = failed.get(inst.name)
            elif inst.target is not None and inst.name not in mapped:
                item["state"] = "unmapped"
            else:
                item["state"] = "present"
                if inst.name in mapped:
                    item["mapped"] = list(mapped[inst.name])
            out.append(item)
    return out


def _pstore(pb: PostBoot, ramoops: Json | None) -> Json | None:
    if ramoops is None or ramoops.get("state") != "attached":
        return None
    return {
        "mounted": pb.pstore_mounted,
        "records": None if pb.pstore is None else list(pb.pstore),
        "archive": None if pb.pstore_archive is None else list(pb.pstore_archive),
    }


def _unchecked(pb: PostBoot) -> list[str]:
    words = {
        IOMEM: "/proc/iomem",
        "ramoops-params": "the ramoops parameters",
        "trace-instances": "the trace instances",
        "pstore": "/sys/fs/pstore",
        "klog-postboot": "the kernel log",
    }  # debugfs is optional: without it only a region nothing else shows is unverified
    return [words[k] for k in pb.denied if k in words]


def check_host(sim: Simulation, pb: PostBoot) -> Json:
    """The comparison of one host's boot with its simulation (what MM7xx rules read)."""
    table = _table_check(sim, pb)
    regions = _regions(sim, pb, table)
    ramoops = _ramoops(sim, pb, regions)
    return {
        "dialect": sim.dialect,
        "kernel": sim.kernel,
        "mainline": sim.dialect == MAINLINE,
        "table": table,
        "regions": regions,
        "ramoops": ramoops,
        "trace": _trace(sim, pb, regions),
        "pstore": _pstore(pb, ramoops),
        "unchecked": _unchecked(pb),
        "sudo": pb.sudo,
    }


def unverified(why: str) -> Json:
    """The comparison of a host that could not be compared at all (MM706 says why)."""
    return {
        "missing_facts": why,
        "table": {"checked": False},
        "regions": [],
        "ramoops": None,
        "trace": [],
        "pstore": None,
        "unchecked": [],
    }


#: Simulations by (firmware map digest, command line, kernel, options): a fleet boots few
#: distinct ones.
Simulations = dict[tuple[str | None, str, Kernel, Options], Simulation]


def verify_sources(
    s: Sources,
    facts: HostFacts,
    source: str,
    now: datetime,
    sims: Simulations | None = None,
) -> Sources:
    """``s`` re-aimed at the boot that runs now: the firmware map, ``/proc/cmdline`` and the
    running release (with the inventory's ``kernel_features``/``dialect``), and the comparison
    in ``facts["verify"]``; ``source`` names the facts in findings (the cache file)."""
    host = s.host
    view = view_of(facts, source, now)

    def locate(offset: int | None) -> Location | None:
        if offset is None:
            return s.locate(None)
        return Location(f"{host.name}:/proc/cmdline", 1, offset + 1)

    found: dict[str, Any] = {**s.facts, **view.facts, "cmdline_source": "/proc/cmdline"}
    if view.capture is None:
        found["verify"] = unverified("the host reported no firmware map")
    elif facts.postboot is None:
        found["verify"] = unverified(
            "its facts hold no post-boot part (collected by an older memmap-lint)"
        )
    else:
        kernel = resolve_kernel(facts.kernel_release, s.features, s.dialect)
        cmdline = parse(facts.proc_cmdline)
        options = Options(facts=view.capture.boot_facts())
        key = (view.digest, facts.proc_cmdline, kernel, options)
        sim = sims.get(key) if sims is not None else None
        if sim is None:
            sim = simulate(view.capture.entries, cmdline, kernel, view.capture.setup_data, options)
            if sims is not None:
                sims[key] = sim
        found["verify"] = check_host(sim, facts.postboot)
    return replace(
        s,
        text=facts.proc_cmdline,
        locate=locate,
        release=facts.kernel_release,
        capture=view.capture,
        digest=view.digest,
        facts=found,
        boot=None,
    )


def verify_inputs(
    hosts: Sequence[Host],
    found: Mapping[str, HostFacts | CollectFailure | None],
    captures: CaptureCache,
    sources: Mapping[str, str],
) -> tuple[list[HostInput], list[LintError]]:
    """Each host's input for ``verify``: its facts (``found``; None when there are none), or its
    collection failure (MM601); ``sources`` names each host's facts in findings."""
    now = datetime.now(timezone.utc)
    inputs: list[HostInput] = []
    errors: list[LintError] = []
    sims: Simulations = {}
    for host in hosts:
        try:
            s = sources_of(host, captures)
            result = found.get(host.name)
            if isinstance(result, HostFacts):
                s = verify_sources(s, result, sources.get(host.name, host.name), now, sims)
            elif result is None:
                why = "no facts were collected from it (run verify with --collect always)"
                s = replace(s, facts={**s.facts, "verify": unverified(why)})
            else:
                failure = {**result.to_dict(), "used": "unverified"}
                s = replace(s, facts={**s.facts, "collect_failure": failure})
            inputs.append(build(s))
        except LintError as exc:
            errors.append(exc)
        except ValueError as exc:  # the inventory's kernel pieces name no kernel
            where = (host.pos.path, host.pos.line, host.pos.column)
            errors.append(LintError("MM604", f"host {host.name}: {exc}", *where))
    return inputs, errors


def profile_addresses(inputs: Sequence[HostInput]) -> list[Json]:
    """Predicted and real region addresses per hardware profile (firmware map) and kernel:
    what ``verify --format json`` keeps, so a fleet learns where its reserve_mem regions land."""
    groups: dict[tuple[Any, ...], Json] = {}
    for inp in inputs:
        verdict = inp.facts.get("verify")
        if not isinstance(verdict, dict) or not verdict.get("regions"):
            continue
        hardware = inp.facts.get("hardware") or {}
        key = (inp.digest, verdict["kernel"], verdict["dialect"], inp.cmdline.text)
        group = groups.setdefault(
            key,
            {
                "profile": inp.digest,
                "hardware": hardware,
                "kernel": verdict["kernel"],
                "dialect": verdict["dialect"],
                "hosts": [],
                "regions": {},
            },
        )
        group["hosts"].append(inp.host.name)
        for r in verdict["regions"]:
            slot = group["regions"].setdefault(
                r["index"],
                {k: r[k] for k in ("name", "kind", "size", "predicted", "approximate", "status")}
                | {"actual": {}},
            )
            if r["actual"] is not None:
                seen = slot["actual"].setdefault(str(r["actual"]), [])
                seen.append(inp.host.name)
    out: list[Json] = []
    for group in groups.values():
        regions = []
        for r in group["regions"].values():
            actual = [
                {
                    "start": int(start),
                    "distance": None if r["predicted"] is None else int(start) - r["predicted"],
                    "hosts": names,
                }
                for start, names in r["actual"].items()
            ]
            regions.append({**r, "actual": actual})
        out.append({**group, "regions": regions})
    return out


def verify_host(
    name: str,
    facts: HostFacts,
    rules: Sequence[Rule],
    features: Sequence[str] = (),
    dialect: str | None = None,
) -> tuple[HostResult, Json]:
    """One host's verification from its gathered facts alone (the Ansible post-reboot check):
    its result through ``rules`` and the comparison (``check_host``)."""
    from memmap_lint.engine.config import Config
    from memmap_lint.engine.lint import Linter
    from memmap_lint.engine.pipeline import check

    host = Host(name, {}, (), Pos("ansible_facts.memmap_lint", 1, 1))
    plain = Sources(host, "", lambda _offset: None, None, tuple(features), dialect)
    s = verify_sources(
        plain, facts, f"{name}: ansible_facts.memmap_lint", datetime.now(timezone.utc)
    )
    try:
        inp = build(s)
    except ValueError as exc:
        raise LintError("MM604", f"host {name}: {exc}") from exc
    (result,) = check(Linter(rules, Config()), [inp])
    return result, inp.facts["verify"]
