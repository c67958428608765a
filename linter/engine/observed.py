"""What a running kernel shows of its ``reserve_mem=`` regions (post-boot facts): the evidence
``verify`` compares with the simulation and lint learns addresses from."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from memmap_lint.collect.postboot import PostBoot
from memmap_lint.kernel.cmdline import Cmdline
from memmap_lint.kernel.consumers import instances

Json = dict[str, Any]

TRACE_MAPPED = re.compile(
    r"Tracing: mapped boot instance (\S+) at physical memory 0x([0-9a-f]+) of size 0x([0-9a-f]+)"
)
TRACE_FAILED = re.compile(r"Failed to map boot instance (\S+) to (\S+)")
RESERVE_MEM_PARAM = re.compile(r"(\S+)\s+\(([^)]*)\)")


def klog_lines(pb: PostBoot) -> list[str]:
    """The post-boot kernel log's lines (none when it was not read)."""
    return (pb.klog or "").splitlines()


def matches(pattern: re.Pattern[str], lines: Iterable[str]) -> list[re.Match[str]]:
    """The first match of ``pattern`` in each line that has one."""
    return [m for line in lines if (m := pattern.search(line)) is not None]


def as_int(text: str | None) -> int | None:
    """A module parameter's number (``0x``/decimal), None when absent or not a number."""
    try:
        return int(text, 0) if text is not None else None
    except ValueError:
        return None


def name_set(value: str | None) -> str | None:
    """A ramoops ``charp`` parameter as sysfs shows it (``(null)`` when unset)."""
    return None if value in (None, "", "(null)") else value


def observed_regions(pb: PostBoot, cmdline: Cmdline) -> tuple[dict[str, Json], set[str]]:
    """reserve_mem regions the running kernel shows: name -> {start, size, evidence}; and the
    names it shows do not exist."""
    seen: dict[str, Json] = {}
    absent: set[str] = set()
    lines = klog_lines(pb)
    params = pb.ramoops or {}
    name = name_set(params.get("mem_name"))
    if name is not None:
        size, start = as_int(params.get("mem_size")), as_int(params.get("mem_address"))
        if size:
            seen[name] = {"start": start, "size": size, "evidence": "ramoops mem_name lookup"}
        elif not cmdline.named("ramoops.mem_size"):
            absent.add(name)  # ramoops_init() leaves mem_size at 0 for an unknown name
    targets = {
        i.name: i.target
        for p in cmdline.named("trace_instance")
        for i in instances(p)
        if i.target is not None and not i.target[:1].isdigit()
    }
    for m in matches(TRACE_MAPPED, lines):
        region = targets.get(m[1])
        if region is not None and region not in seen:
            seen[region] = {
                "start": int(m[2], 16),
                "size": int(m[3], 16),
                "evidence": f"trace instance {m[1]} mapped there",
            }
    for m in matches(TRACE_FAILED, lines):
        absent.add(m[2])
    if pb.reserve_mem_param is not None:
        listed = {m[1] for m in matches(RESERVE_MEM_PARAM, pb.reserve_mem_param.splitlines())}
        for n in listed:
            seen.setdefault(
                n, {"start": None, "size": None, "evidence": "debugfs reserve_mem_param"}
            )
        absent |= {n for n in targets.values() if n not in listed}
    return seen, absent - seen.keys()
