"""The host's e820 capture may no longer describe its firmware.

What it finds:
    Using the host facts ``facts["capture"]`` (``age_days``, ``kernel``: the release running
    when it was captured, and, when the collector records them, ``bios`` and ``product``) and
    ``facts["hardware"]`` (``bios``, ``product``: what the host has now):

    * the capture is older than ``max_capture_age_days`` (default 90);
    * the firmware changed since: another BIOS version or another product than at capture.

    Facts that are missing are not guessed: the corresponding check is skipped. The kernel
    that ran at capture (``capture["kernel"]``) is deliberately not compared with the next
    one: the ``BIOS-e820`` lines and ``/sys/firmware/memmap`` are the firmware's table before
    any kernel edit (reference 3.8 steps 1-2), the parser reads both label sets, and the
    setup_data blocks a capture records are carved out only after ``parse_early_param()``, so
    neither the RFC search nor memblock sees them differently. A kernel difference that would
    matter (e.g. the EFI stub's conversion of the EFI map changing between releases) is not
    established in the reference.

Why it matters:
    Every placement finding is computed from the captured firmware map. A BIOS update, a
    change of DIMMs or a moved machine changes the map (Ard Biesheuvel, POC thread: even
    attached displays or USB devices change the EFI map; reference 7.4), and the prediction
    is then about another machine.

Example:
    ``facts: {capture: {age_days: 200, kernel: 6.1.0-28-amd64}}`` with the default threshold.

How to fix:
    Re-collect the map (``memmap-lint collect INVENTORY`` or ``--collect always``), after the
    firmware update.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from memmap_lint.rule import Hit, HostContext

CODE = "MM603"
NAME = "stale-capture"
SEVERITY = "warning"
NEEDS_E820 = True


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def check(ctx: HostContext) -> Iterator[Hit]:
    capture = _mapping(ctx.facts.get("capture"))
    hardware = _mapping(ctx.facts.get("hardware"))
    if not capture:
        return
    where = f" ({capture['path']})" if isinstance(capture.get("path"), str) else ""
    age = capture.get("age_days")
    limit = ctx.thresholds.max_capture_age_days
    if isinstance(age, (int, float)) and not isinstance(age, bool) and age > limit:
        yield Hit(
            f"the e820 capture{where} is {age:g} days old (limit {limit}): firmware updates or "
            "memory changes since then are not in it, so every placement finding may describe "
            "another map. Re-collect it (memmap-lint collect, or --collect always)."
        )
    for key, label in (("bios", "BIOS version"), ("product", "product")):
        then, now = capture.get(key), hardware.get(key)
        if isinstance(then, str) and isinstance(now, str) and then and now and then != now:
            yield Hit(
                f"the e820 capture{where} was taken with {label} '{then}', the host now has "
                f"'{now}': the firmware builds the e820 map, so the captured one may no longer "
                "be this host's. Re-collect it."
            )
