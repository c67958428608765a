"""Part of the boot could not be verified: what was not checked is not reported clean.

What it finds:
    After the reboot (``memmap-lint verify``), a host whose post-boot facts were not collected,
    or could not be read (root-only files without ``memmap_lint_sudo``), or a region whose
    presence nothing shows: a ``reserve_mem=`` region with no consumer on a kernel without
    debugfs ``memblock/reserve_mem_param``, a ``memmap=`` region when the boot log no longer
    holds the user-defined map.

Why it matters:
    ``reserve_mem=`` is silent on success and failure before 7.1 (mm/memblock.c) and is not in
    ``/proc/iomem``; ``/sys/module/ramoops/parameters`` and ``/sys/fs/pstore`` are root-only. A
    check that could not look is not a pass.

Example:
    ``reserve_mem=16M:4096:spare`` that nothing consumes on 6.12: no file or message shows it.

How to fix:
    Set ``memmap_lint_sudo: true`` for hosts where the collection user is not root (read-only
    commands through ``sudo -n``), mount debugfs, or give the region a consumer.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._verify_common import region_param, region_text, verdict

CODE = "MM706"
NAME = "not-verified"
SEVERITY = "warning"
NEEDS_E820 = False  # also for a host that reported no map


def check(ctx: HostContext) -> Iterator[Hit]:
    found = verdict(ctx)
    if found is None:
        return
    if found.get("missing_facts"):
        yield Hit(f"nothing was verified: {found['missing_facts']}.")
        return
    if found["unchecked"]:
        yield Hit(
            f"not verified: {', '.join(found['unchecked'])} could not be read "
            "(root-only: set memmap_lint_sudo: true)."
        )
    for item in found["regions"]:
        if item["state"] != "unknown":
            continue
        text = region_text(ctx, item)
        yield Hit(
            f"{text}: nothing on the running host shows whether region {item['name']!r} was "
            "reserved (no consumer found it, and the kernel lists reserve_mem regions nowhere "
            "else before 7.1).",
            region_param(ctx, item),
            text=text,
        )
    ramoops = found["ramoops"]
    if ramoops is not None and ramoops["state"] == "unknown":
        yield Hit("not verified: whether ramoops registered (its parameters were unreadable).")
