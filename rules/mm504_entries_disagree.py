"""Boot entries of one configuration that reserve memory differently.

What it finds:
    A normal boot entry whose memory reservations (``memmap=``, ``reserve_mem=``,
    ``ramoops.mem_*``, ``trace_instance=``) differ from those of the default entry: a hand-edited
    grub.cfg entry, BLS entries with different ``options``, an older kernel's entry left behind.
    Recovery entries are MM502's.

Why it matters:
    The entry that boots decides where regions land. Falling back to another entry (an older
    kernel after a failed update, a ``grub-reboot`` one-shot) then reserves another place or
    nothing, so data kept across the reboot (ramoops records, a persistent trace buffer) is not
    found, and memory the other entry treats as reserved is overwritten.

Example:
    ``/boot/loader/entries/a-6.7.4.conf`` with ``reserve_mem=12M:4096:oops`` and
    ``a-6.5.6.conf`` with ``reserve_mem=8M:4096:oops``.

How to fix:
    Give every entry the same reservation: edit /etc/default/grub and run update-grub, or for BLS
    ``grubby --update-kernel=ALL --args=...`` (or the same ``options`` in every entry).
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._boot_common import reservation_texts, reservations

CODE = "MM504"
NAME = "entries-disagree"
SEVERITY = "warning"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    v = ctx.boot
    if v is None or v.primary or v.entry.recovery:
        return
    default = next((e for e in v.config.entries if e.is_default), None)
    if default is None:
        default = v.config.entries[0] if v.config.entries else None
    if default is None or default is v.entry or default.recovery:
        return
    want = reservation_texts(default)
    have = [p.raw for p in reservations(ctx.cmdline)]
    if sorted(want) == sorted(have):
        return
    extra = [p for p in reservations(ctx.cmdline) if p.raw not in want]
    lost = [t for t in want if t not in have]
    parts = []
    if extra:
        parts.append("it has " + " ".join(p.raw for p in extra))
    if lost:
        parts.append("it lacks " + " ".join(lost))
    yield Hit(
        f"this entry reserves memory differently from the default entry ({default.title}): "
        f"{', '.join(parts)}. Booting it (a fallback or a one-shot boot) places regions "
        "elsewhere or not at all, so what the other boot kept there is lost.",
        param=extra[0] if extra else None,
    )
