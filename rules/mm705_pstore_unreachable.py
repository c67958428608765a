"""ramoops is attached but its records cannot be read or kept.

What it finds:
    After the reboot (``memmap-lint verify``), a host where ramoops registered but pstore is not
    mounted on ``/sys/fs/pstore`` (the records of the last crash cannot be read), or pstore
    holds records that ``systemd-pstore`` did not archive to ``/var/lib/systemd/pstore``.

Why it matters:
    ramoops keeps a crash log in RAM across a warm reboot; fs/pstore/inode.c shows it only
    through the pstore filesystem, and the next crash overwrites the dmesg zones (the RAM is
    reused from ``ramoops_init_przs()`` on). systemd-pstore moves records to
    ``/var/lib/systemd/pstore`` and by default removes them from pstore, so an empty
    ``/sys/fs/pstore`` is not proof of loss, and records left there are at risk.

Example:
    A minimal image without systemd: ramoops registered (``ramoops: using 0xc00000@0x3de00000``)
    but nothing mounts pstore, so ``/sys/fs/pstore`` is an empty directory.

How to fix:
    Mount pstore (``mount -t pstore pstore /sys/fs/pstore``; systemd does it), enable
    ``systemd-pstore.service`` so records are archived before the next crash.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._verify_common import verdict

CODE = "MM705"
NAME = "pstore-unreachable"
SEVERITY = "warning"
NEEDS_E820 = True


def check(ctx: HostContext) -> Iterator[Hit]:
    found = verdict(ctx)
    if found is None or found["pstore"] is None:
        return
    pstore = found["pstore"]
    param = ctx.cmdline.last("ramoops.mem_name")
    if pstore["mounted"] is False:
        yield Hit(
            "ramoops is attached but pstore is not mounted on /sys/fs/pstore: the records of "
            "the last crash cannot be read, and the next crash overwrites them.",
            param,
        )
    elif pstore["records"] and pstore["archive"] is None:
        yield Hit(
            f"/sys/fs/pstore holds {len(pstore['records'])} record(s) and there is no "
            "/var/lib/systemd/pstore: nothing archives them before the next crash overwrites "
            "them (enable systemd-pstore).",
            param,
        )
