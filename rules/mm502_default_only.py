"""A reservation that normal boot entries carry and recovery entries do not.

What it finds:
    A memory reservation (``memmap=``, ``reserve_mem=``, ``ramoops.mem_*``, ``trace_instance=``)
    that a normal boot entry passes to the kernel while the recovery (GRUB) or rescue (BLS) entry
    for the same kernel does not. With /etc/default/grub this is a reservation written in
    ``GRUB_CMDLINE_LINUX_DEFAULT`` only.

Why it matters:
    grub-mkconfig's 10_linux gives normal entries ``${GRUB_CMDLINE_LINUX}
    ${GRUB_CMDLINE_LINUX_DEFAULT}`` and recovery entries ``${GRUB_CMDLINE_LINUX_RECOVERY}
    ${GRUB_CMDLINE_LINUX}``: ``GRUB_CMDLINE_LINUX_DEFAULT`` never reaches recovery mode (GRUB
    util/grub-mkconfig.in, util/grub.d/10_linux.in). The recovery boot is the one taken after a
    crash; without the reservation that memory is ordinary RAM there, so the crash log or trace the
    previous boot kept in it is not found and is overwritten. With ``GRUB_DISABLE_RECOVERY=true``
    there is no recovery entry and nothing is reported.

Example:
    ``GRUB_CMDLINE_LINUX_DEFAULT="quiet reserve_mem=12M:4096:oops ramoops.mem_name=oops"`` with
    ``GRUB_CMDLINE_LINUX=""``.

How to fix:
    Put the reservation and its consumers in ``GRUB_CMDLINE_LINUX`` (every entry gets it) and
    run update-grub; for BLS, add them to the rescue entry's ``options`` too.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.bootconfig.dollars import lost_dollars, written_fix
from memmap_lint.bootconfig.model import BootEntry, Origin
from memmap_lint.kernel.cmdline import Param
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._boot_common import reservation_texts, reservations

CODE = "MM502"
NAME = "default-only"
SEVERITY = "warning"
NEEDS_E820 = False


def _in_assignment(ctx: HostContext, name: str, origin: Origin) -> bool:
    v = ctx.boot
    a = v.config.variables.get(name) if v is not None else None
    if a is None:
        return False
    for s, e, o in a.value_origins:
        same_line = o.path == origin.path and o.line == origin.line
        if same_line and o.column <= origin.column < o.column + (e - s):
            return True
    return False


def _paired(ctx: HostContext) -> list[BootEntry]:
    v = ctx.boot
    if v is None:
        return []
    rec = [e for e in v.config.entries if e.recovery]
    image = v.entry.image
    same = [e for e in rec if image is not None and e.image == image]
    if same:
        return same
    return rec if v.primary else []


def check(ctx: HostContext) -> Iterator[Hit]:
    v = ctx.boot
    if v is None or v.entry.recovery:
        return
    recovery = _paired(ctx)
    if not recovery:
        return
    missing: list[Param] = []
    lacking: list[str] = []
    for r in recovery:
        have = set(reservation_texts(r))
        gone = [p for p in reservations(ctx.cmdline) if p.raw not in have]
        if gone:
            lacking.append(r.title)
            missing.extend(p for p in gone if p not in missing)
    if not missing:
        return
    first = missing[0]
    origin = v.entry.origin_at(first.start)
    why = ""
    if origin is not None and _in_assignment(ctx, "GRUB_CMDLINE_LINUX_DEFAULT", origin):
        why = (
            " It sits in GRUB_CMDLINE_LINUX_DEFAULT, which grub-mkconfig leaves out of recovery "
            "entries: move it to GRUB_CMDLINE_LINUX and run update-grub."
        )
    # Quote what the file must say, never what GRUB or sh made of it (a lost `$`: MM501).
    fixes = {lost.param.raw: written_fix(lost) for lost in lost_dollars(v, ctx.cmdline)}
    names = " ".join(fixes.get(p.raw, p.raw) for p in missing)
    mangled = [p.raw for p in missing if p.raw in fixes]
    why = why or " Add it there too."
    if mangled:
        why += (
            f" Written as above, as this file must write it (today the kernel receives "
            f"{' '.join(mangled)}: MM501)."
        )
    yield Hit(
        f"{names} is missing from the recovery entry ({'; '.join(lacking)}): a recovery boot, "
        "the one taken after a crash, does not reserve that memory, so what the previous boot "
        f"kept there (the crash log) is not found and is overwritten.{why}",
        param=first,
    )
