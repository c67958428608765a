"""The firmware map used for a host may not be the one it has now.

What it finds:
    A host whose e820 capture is older than the ``max-age-days`` option (default 90; the age comes
    from the inventory's ``e820_captured_at`` or from when the facts were collected), or whose
    map is known to be out of date: collection failed and the map is an older cached one, or
    the host reported a different map than the inventory's capture file. The rule reads the host
    fact ``capture`` (``age_days``, ``collected_at``, and ``stale``: the reasons collection
    found) and the rule's ``max-age-days`` option. One finding per host, every reason in it.

Why it matters:
    Where a region lands is decided by the firmware map (arch/x86/kernel/e820.c): a BIOS update,
    added or removed DIMMs, or a change of the memory layout options move every usable range, so
    a region planned on an old map may not fit, may overlap, or may land elsewhere, and what
    was persisted in it (ramoops records, a boot-mapped trace buffer) is lost on that boot.

Example:
    ``db-01`` was captured in January with BIOS 1.8; it runs 1.10 now and its top usable range
    ends 64 MiB lower. MM603 is reported with the capture's date.

How to fix:
    Capture the map again (``memmap-lint collect INVENTORY`` or ``grep .
    /sys/firmware/memmap/*/*`` on the host) and update ``e820``/``e820_captured_at``; fix
    collection (MM601) so that fresh facts replace the cached ones.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.rule import Hit, HostContext, Option

CODE = "MM603"
NAME = "stale-capture"
SEVERITY = "warning"
NEEDS_E820 = True
OPTIONS = (Option("max-age-days", 90, "a capture older than this many days is stale"),)


def check(ctx: HostContext) -> Iterator[Hit]:
    capture = ctx.facts.get("capture")
    if not isinstance(capture, dict):
        return
    reasons = [str(r) for r in capture.get("stale") or ()]
    age = capture.get("age_days")
    limit = ctx.options["max-age-days"]
    if isinstance(age, int) and age > limit:
        when = capture.get("collected_at")
        taken = f" (taken {when})" if when else ""
        reasons.insert(0, f"the capture is {age} days old{taken}, older than {limit} days")
    if reasons:
        yield Hit(
            "the firmware map this host was checked against may not be its map now: "
            + "; ".join(reasons)
            + ". Placements are only as good as the map: capture it again."
        )
