"""What the kernel receives from this file also depends on something outside it.

What it finds:
    A boot file whose command line reaches the kernel only under a condition the file cannot
    show: a unified kernel image's ``.cmdline`` (systemd-stub lets a boot loader's command line
    replace it when Secure Boot is off, and ignores that one when Secure Boot is on), a UKI with
    no ``.cmdline`` at all (the boot loader's line is all the kernel gets), or a bootconfig (read
    only when the boot loader's command line holds ``bootconfig``). Reported once per file, as an
    info.

Why it matters:
    The findings on such a file hold for the command line the file gives. systemd-stub
    (src/boot/efi/stub.c ``use_load_options``) refuses a loader-supplied command line when Secure
    Boot is on and the UKI has a ``.cmdline``; when it is off, ``systemctl reboot
    --boot-loader-entry`` options or a hand-edited boot loader entry win over the file.
    init/main.c (Linux 6.1) ``setup_boot_config`` returns early unless ``bootconfig`` is on the
    boot loader's line, and then the ``kernel.*`` keys simply do not exist.

Example:
    ``memmap-lint EFI/Linux/debian.efi`` on a UKI with ``.cmdline`` ``root=/dev/sda2 ro
    reserve_mem=12M:4096:oops``.

How to fix:
    Nothing to fix in the file: make sure of the condition on the machines (Secure Boot state,
    ``bootconfig`` in the boot loader's command line, or CONFIG_BOOT_CONFIG_FORCE=y).
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.rule import Hit, HostContext

CODE = "MM508"
NAME = "cmdline-outside-file"
SEVERITY = "info"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    v = ctx.boot
    if v is None or not v.primary:
        return
    for caveat in v.config.caveats:
        yield Hit(caveat[:1].upper() + caveat[1:] + ".")
