"""Hosts whose region of one name lands at different addresses on the same map or hardware.

What it finds:
    Hosts with the same firmware map (the host fact ``profile`` when given, otherwise the
    captured map itself) whose region of one name is placed at different addresses (a fleet
    rule): something host-specific moves it, and the finding names the command-line or kernel
    difference. Hosts with the same hardware identity (the host fact ``hardware``: product and
    BIOS) but different maps whose region lands at different addresses get a finding too: the
    address follows the firmware map. Each host that differs from the address most hosts share
    gets one finding per region name.

Why it matters:
    A persistent region is only useful if the next boot finds it where the last one left it: pstore
    records, a boot-mapped trace buffer or any data kept across a reboot are read back from the same
    physical range. The RFC places a wildcard from the e820 table (the RFC patch's memmap_named()),
    so a different command line or a different firmware map moves it; Ard Biesheuvel warned that the
    EFI memory map, and the e820 map made from it, changes with attached devices (his review of the
    RFC on LKML, May 2024, <CAMj1kXG3jiLahONhPkKD0VSngDnMQoUCkDmoCsWEzOHDZmhTiA@mail.gmail.com>). A
    host brought in line with its peers, or one whose firmware update changes the map, moves its
    region and loses what it kept on that boot. ``reserve_mem=`` addresses are not knowable offline
    at all: memblock places the region after setup_arch()'s own allocations and physical KASLR moves
    the kernel image (mm/memblock.c memblock_phys_alloc_range()), so for them the comparison uses
    the simulator's approximate address and says so.

Example:
    ``db-01`` and ``db-02`` share a PowerEdge R740 map; ``db-02`` also has ``memmap=1G@8G``
    before the wildcard, so its ``oops`` region lands elsewhere.

How to fix:
    Give hosts of one hardware profile the same memory parameters in the same order, and
    re-check the placement after firmware updates (``memmap-lint simulate``). Where the kernel
    allows it, reserve at a fixed address (``memmap=nn$ss``) so that the map does not decide.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Any

from memmap_lint.kernel.model import Region
from memmap_lint.rule import FleetContext, Hit, HostContext
from memmap_lint.rules._mm3_common import rng, shown

CODE = "MM306"
NAME = "placement-unstable"
SEVERITY = "warning"
SCOPE = "fleet"
NEEDS_E820 = True

_MEMORY_PARAMS = ("memmap", "mem", "reserve_mem", "crashkernel")


def _map_key(host: HostContext) -> Hashable:
    assert host.sim is not None
    profile = host.facts.get("profile")
    return ("profile", str(profile)) if profile else ("map", host.sim.firmware)


def _hardware_key(host: HostContext) -> Hashable | None:
    hw = host.facts.get("hardware")
    if not isinstance(hw, Mapping) or not hw:
        return None
    return tuple(sorted((str(k), str(v)) for k, v in hw.items()))


def _hardware_text(host: HostContext) -> str:
    hw: Mapping[str, Any] = host.facts.get("hardware") or {}
    return ", ".join(f"{k} {v}" for k, v in hw.items())


def _memory_params(host: HostContext) -> list[str]:
    return [p.raw for p in host.cmdline.params if p.key in _MEMORY_PARAMS]


def _difference(host: HostContext, ref: HostContext) -> str:
    """What differs between two hosts' memory parameters and kernels, in words."""
    mine, theirs = _memory_params(host), _memory_params(ref)
    parts = []
    if mine != theirs:
        only_mine = [p for p in mine if p not in theirs]
        only_theirs = [p for p in theirs if p not in mine]
        if only_mine or only_theirs:
            if only_mine:
                parts.append(f"only this host has {' '.join(only_mine)}")
            if only_theirs:
                parts.append(f"only {ref.host} has {' '.join(only_theirs)}")
        else:
            parts.append(
                f"the same memory parameters in another order ({' '.join(mine)} here, "
                f"{' '.join(theirs)} there)"
            )
    if host.kernel.dialect != ref.kernel.dialect or host.kernel.release != ref.kernel.release:
        parts.append(
            f"this host boots {host.kernel.release or 'an unknown kernel'} ({host.kernel.dialect}), "
            f"{ref.host} {ref.kernel.release or 'an unknown kernel'} ({ref.kernel.dialect})"
        )
    return "; ".join(parts)


_APPROX = (
    " These are reserve_mem= addresses, which are approximate: memblock places the region after "
    "setup_arch()'s own allocations and physical KASLR moves the kernel image, so the real "
    "address is not knowable offline and may move on any boot."
)


def _placed(host: HostContext, name: str) -> Region | None:
    assert host.sim is not None
    return host.sim.region(name)


def _deviants(
    members: Sequence[HostContext], name: str
) -> list[tuple[HostContext, Region, HostContext, Region]]:
    """(host, its region, a host at the common address, that host's region) for each outlier."""
    found = [(h, r) for h in members if (r := _placed(h, name)) is not None]
    if len({r.start for _h, r in found}) < 2:
        return []
    counts = Counter(r.start for _h, r in found)
    common = max(counts, key=lambda a: (counts[a], -[r.start for _h, r in found].index(a)))
    ref_host, ref_region = next((h, r) for h, r in found if r.start == common)
    return [(h, r, ref_host, ref_region) for h, r in found if r.start != common]


def _names(members: Sequence[HostContext]) -> list[str]:
    names: list[str] = []
    for h in members:
        assert h.sim is not None
        for r in h.sim.regions:
            if r.name and r.name not in names:
                names.append(r.name)
    return names


def _at(region: Region) -> str:
    assert region.start is not None
    about = "about " if region.approximate else ""
    return about + rng(region.start, region.start + region.size)


def check(ctx: FleetContext) -> Iterator[Hit]:
    hosts = [h for h in ctx.hosts if h.sim is not None and not h.sim.panic]
    reported: set[tuple[str, str]] = set()
    by_map: dict[Hashable, list[HostContext]] = {}
    for h in hosts:
        by_map.setdefault(_map_key(h), []).append(h)
    for members in by_map.values():
        if len(members) < 2:
            continue
        for name in _names(members):
            for host, region, ref, ref_region in _deviants(members, name):
                reported.add((host.host, name))
                diff = _difference(host, ref) or "no difference in the memory parameters shows"
                approx = _APPROX if region.approximate else ""
                yield Hit(
                    f"'{name}' ({shown(region)}) lands at {_at(region)} here but at "
                    f"{_at(ref_region)} on {ref.host}, which has the same firmware map: "
                    f"something on this host moves it ({diff}). When the hosts are brought in "
                    "line the region moves, and what it kept is lost on that boot." + approx,
                    param=region.param,
                    offset=region.offset,
                    text=shown(region) if region.kind == "memmap-wildcard" else None,
                    host=host.host,
                )
    by_hardware: dict[Hashable, list[HostContext]] = {}
    for h in hosts:
        key = _hardware_key(h)
        if key is not None:
            by_hardware.setdefault(key, []).append(h)
    for members in by_hardware.values():
        if len({_map_key(h) for h in members}) < 2:
            continue
        for name in _names(members):
            for host, region, ref, ref_region in _deviants(members, name):
                if (host.host, name) in reported or _map_key(host) == _map_key(ref):
                    continue
                diff = _difference(host, ref)
                also = f" The command lines differ too: {diff}." if diff else ""
                approx = _APPROX if region.approximate else ""
                yield Hit(
                    f"'{name}' ({shown(region)}) lands at {_at(region)} here but at "
                    f"{_at(ref_region)} on {ref.host}, the same hardware "
                    f"({_hardware_text(host)}) with a different firmware map: the address follows "
                    "the map, so a firmware update, a hardware change or even an attached device "
                    "(the EFI memory map changes with them) that alters this host's map moves the "
                    "region the same way, and what it kept is lost on that boot." + also + approx,
                    param=region.param,
                    offset=region.offset,
                    text=shown(region) if region.kind == "memmap-wildcard" else None,
                    host=host.host,
                )
