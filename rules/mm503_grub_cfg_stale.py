"""grub.cfg does not give the kernel what /etc/default/grub says: update-grub was not run.

What it finds:
    A grub.cfg whose normal entries pass other memory-reservation parameters (``memmap=``,
    ``reserve_mem=``, ``ramoops.mem_*``, ``trace_instance=``) than the ones grub-mkconfig would
    write from the /etc/default/grub (and ``grub.d/*.cfg``) of the same tree (``<root>/etc/default/
    grub`` beside ``<root>/boot/grub/grub.cfg`` or ``boot/grub2/grub.cfg``).

Why it matters:
    GRUB reads only grub.cfg; /etc/default/grub is an input of grub-mkconfig (update-grub) and
    nothing else. Until it runs, the next boot uses the old command line: the reviewed change does
    not take effect, or an old, wrong reservation still does (GRUB util/grub-mkconfig.in,
    util/grub.d/10_linux.in).

Example:
    /etc/default/grub has ``reserve_mem=12M:4096:oops``; grub.cfg's entries still carry
    ``memmap=12M$0x100000000``.

How to fix:
    Run ``update-grub`` (``grub-mkconfig -o /boot/grub/grub.cfg``; ``grub2-mkconfig -o
    /boot/grub2/grub.cfg`` on RHEL-style systems) and commit the regenerated grub.cfg.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.bootconfig.model import BootEntry
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._boot_common import reservation_texts, reservations

CODE = "MM503"
NAME = "grub-cfg-stale"
SEVERITY = "warning"
NEEDS_E820 = False


def _normal(entries: tuple[BootEntry, ...]) -> list[BootEntry]:
    return [e for e in entries if not e.recovery]


def _default(entries: tuple[BootEntry, ...]) -> BootEntry | None:
    normal = _normal(entries)
    return next((e for e in normal if e.is_default), normal[0] if normal else None)


def check(ctx: HostContext) -> Iterator[Hit]:
    v = ctx.boot
    if v is None or not v.primary or v.companion is None:
        return
    if v.config.kind == "grub-cfg" and v.companion.kind == "grub-default":
        generated, cfg = v.companion, v.config
    elif v.config.kind == "grub-default" and v.companion.kind == "grub-cfg":
        generated, cfg = v.config, v.companion
    else:
        return
    expected_entry = _default(generated.entries)
    if expected_entry is None:
        return
    expected = reservation_texts(expected_entry)
    stale = [e for e in _normal(cfg.entries) if sorted(reservation_texts(e)) != sorted(expected)]
    if not stale:
        return
    got = reservation_texts(stale[0])
    mine = [p for p in reservations(ctx.cmdline)]
    other = got if v.config.kind == "grub-default" else expected
    differing = [p for p in mine if p.raw not in other]
    cfg_path = cfg.paths[0] if cfg.paths else "grub.cfg"
    default_path = generated.paths[0] if generated.paths else "/etc/default/grub"
    yield Hit(
        f"{cfg_path} is stale: its entry '{stale[0].title}' gives the kernel "
        f"{' '.join(got) or 'no reservation'}, but {default_path} now makes grub-mkconfig "
        f"write {' '.join(expected) or 'no reservation'} ({len(stale)} entr"
        f"{'y' if len(stale) == 1 else 'ies'} differ). GRUB only reads grub.cfg: run update-grub "
        "(grub-mkconfig -o .../grub.cfg) and commit the result.",
        param=differing[0] if differing else None,
    )
