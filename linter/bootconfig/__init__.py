"""Boot configuration files read exactly as the boot tooling reads them.

Every front end (GRUB defaults, grub.cfg, BLS entries, grubenv, /etc/kernel/cmdline,
/proc/cmdline, the kernel's bootconfig, unified kernel images and their add-ons, ``grubby
--info=ALL`` text) yields per boot entry the command line the kernel receives, with each character
traced to the file, line and column that produced it.
"""

from memmap_lint.bootconfig.base import Context, Frontend, Source
from memmap_lint.bootconfig.loader import (
    KINDS,
    detect_kind,
    grubenv_values,
    load_boot_config,
    parse_boot_text,
)
from memmap_lint.bootconfig.model import (
    Assignment,
    BootConfig,
    BootEntry,
    Diagnostic,
    Origin,
    Traced,
)

__all__ = [
    "KINDS",
    "Assignment",
    "BootConfig",
    "BootEntry",
    "Context",
    "Diagnostic",
    "Frontend",
    "Origin",
    "Source",
    "Traced",
    "detect_kind",
    "grubenv_values",
    "load_boot_config",
    "parse_boot_text",
]
