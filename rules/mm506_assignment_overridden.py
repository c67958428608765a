"""A later assignment or a drop-in replaces the variable that carried the reservation.

What it finds:
    A variable of the boot configuration (``GRUB_CMDLINE_LINUX``,
    ``GRUB_CMDLINE_LINUX_DEFAULT``, a GRUB ``set``) whose earlier value held memory-reservation
    parameters that its final value no longer has, while the default entry's kernel does not get
    them from anywhere else.

Why it matters:
    grub-mkconfig sources /etc/default/grub and then every ``/etc/default/grub.d/*.cfg`` in order;
    each assignment replaces the whole value (GRUB util/grub-mkconfig.in, util/grub.d/10_linux.in).
    Ubuntu cloud images ship ``grub.d/50-cloudimg-settings.cfg`` with
    ``GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0"``, which silently drops whatever
    /etc/default/grub put there: the reservation is written, reviewed, and never reaches the kernel.

Example:
    /etc/default/grub: ``GRUB_CMDLINE_LINUX_DEFAULT="quiet reserve_mem=12M:4096:oops
    ramoops.mem_name=oops"``; grub.d/50-cloudimg-settings.cfg:
    ``GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0"``.

How to fix:
    Put the reservation where nothing overrides it: ``GRUB_CMDLINE_LINUX``, or a drop-in that
    sorts after the others (``grub.d/99-memmap.cfg``) extending the value:
    ``GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT reserve_mem=12M:4096:oops"``.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.cmdline import parse
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._boot_common import reservations, where

CODE = "MM506"
NAME = "assignment-overridden"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    v = ctx.boot
    if v is None or not v.primary:
        return
    received = {p.raw for p in reservations(ctx.cmdline)}
    for name, final in v.config.variables.items():
        now = {p.raw for p in reservations(parse(final.value))}
        lost: list[str] = []
        replaced = None
        for old in final.history()[1:]:
            for p in reservations(parse(old.value)):
                if p.raw not in now and p.raw not in received and p.raw not in lost:
                    lost.append(p.raw)
                    replaced = replaced or old
        if not lost or replaced is None:
            continue
        yield Hit(
            f"{name} set at {where(final.origin)} replaces the value set at "
            f"{where(replaced.origin)}, and with it {' '.join(lost)}: the kernel gets none of "
            f"{'them' if len(lost) > 1 else 'it'}. Put the reservation where nothing overrides "
            f"it (GRUB_CMDLINE_LINUX, or a drop-in sorted last that extends the value: "
            f'{name}="${name} {" ".join(lost)}").',
            offset=v.offset_of(final.origin),
            text=" ".join(lost),
        )
