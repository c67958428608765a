"""An early parameter set in a bootconfig: the kernel silently ignores it.

What it finds:
    A ``kernel.memmap``, ``kernel.mem``, ``kernel.crashkernel`` (or another early parameter) key
    in a bootconfig file or in the bootconfig appended to an initrd.

Why it matters:
    init/main.c (Linux 6.1) renders ``kernel.*`` keys into ``extra_command_line``, which
    ``setup_command_line`` puts before the boot loader's command line for ``parse_args``. But
    x86 ``setup_arch`` has already run ``parse_early_param`` on ``boot_command_line``, the boot
    loader's line alone, and ``setup_arch`` reads ``crashkernel=`` from that same line; when
    ``parse_args`` later meets ``memmap=`` or ``mem=``, ``obsolete_checksetup`` sees an
    ``early_param`` and skips it as already done. Nothing is logged: ``/proc/cmdline`` shows the
    parameter, and no memory is reserved or limited. ``reserve_mem=``, ``trace_instance=`` and
    ``ramoops.*`` are not early parameters and do work from a bootconfig.

Example:
    ``kernel.memmap = "12M$0x100000000"`` in /etc/bootconfig.conf, applied with
    ``bootconfig -a /etc/bootconfig.conf /boot/initrd.img``.

How to fix:
    Put the parameter on the boot loader's command line (GRUB_CMDLINE_LINUX, BLS ``options``,
    /etc/kernel/cmdline), or use ``kernel.reserve_mem`` (6.11+) which a bootconfig can set.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.bootconfig.xbc import EARLY_PARAMS
from memmap_lint.rule import Hit, HostContext

CODE = "MM507"
NAME = "bootconfig-early-param"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    v = ctx.boot
    if v is None or v.config.kind != "bootconfig":
        return
    for name, a in v.config.variables.items():
        key = name.removeprefix("kernel.")
        if key.split(".")[0] not in EARLY_PARAMS or a.origin.path != v.entry.title:
            continue
        shown = f"{key}={a.value}" if a.value else key
        yield Hit(
            f"{name} = {a.value!r} is silently ignored: {key}= is an early parameter, which the "
            "kernel reads only from the boot loader's command line (parse_early_param runs on "
            "boot_command_line before the bootconfig is loaded, and parse_args then skips it as "
            f"already done). No error is printed and /proc/cmdline shows it anyway. Put {shown} "
            "on the boot loader's command line instead.",
            offset=v.offset_of(a.origin),
            text=shown,
        )
