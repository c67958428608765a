"""A boot configuration file the boot tooling cannot read as intended.

What it finds:
    What the boot-config parsers report while reading a file as its tool does: sh syntax errors
    in /etc/default/grub (grub-mkconfig stops), GRUB script errors in grub.cfg (grub-script-check
    fails, e.g. a ``$`` not followed by a name), BLS lines that end blscfg's reading, grubenv
    blocks ``load_env`` rejects or that were edited by hand, a ``GRUB_CMDLINE_*`` value written
    over several lines, a grub.cfg ``linux`` line cut by a line break, bootconfig syntax errors
    (as the kernel's lib/bootconfig.c reports them), PE images without a section table.

Why it matters:
    A syntax error in /etc/default/grub makes grub-mkconfig fail, and grub-mkconfig refuses to
    install a grub.cfg that grub-script-check rejects: the old grub.cfg stays, with the old
    command line, while the file says otherwise (GRUB util/grub-mkconfig.in,
    util/grub.d/10_linux.in, grub-core/script/yylex.l, execute.c; grub-core/commands/blscfg.c).
    A BLS line without a value makes blscfg ignore the keys after it.
    A line break inside a ``GRUB_CMDLINE_*`` value reaches grub.cfg as it is (10_linux echoes
    the value into the ``linux`` line), ends the ``linux`` command there, and GRUB runs the rest
    as a command of its own ("can't find command"): the kernel never gets those parameters.

Example:
    ``GRUB_CMDLINE_LINUX="quiet memmap=4G$"`` (grub-script-check: ``$`` must start a variable).

How to fix:
    Fix the line named in the finding (a value split over lines: write it on one line, or end the
    line with a backslash inside the quotes); check /etc/default/grub with ``sh -n``, grub.cfg with
    ``grub-script-check``, and write grubenv with ``grub-editenv`` only.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.bootconfig.grub_cfg import STRAY_LINE
from memmap_lint.bootconfig.model import Origin
from memmap_lint.rule import Hit, HostContext

CODE = "MM505"
NAME = "boot-config-syntax"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    v = ctx.boot
    if v is None:
        return
    # Every entry of /etc/default/grub comes from the same values, so each is affected; a
    # grub.cfg linux line cut by a line break affects its own entry; other problems of a file
    # are reported once, on the primary entry.
    whole = v.primary or v.config.kind == "grub-default"
    cut = {n for n in v.entry.notes if n.startswith(STRAY_LINE)}
    seen: set[Origin] = set()
    refused = False
    for d in v.config.diagnostics:
        if d.message.startswith(STRAY_LINE):
            if f"{STRAY_LINE} at {d.origin}" not in cut:
                continue
        elif not whole:
            continue
        generated = "grub-mkconfig refuses" in d.message
        if d.origin in seen or (generated and refused):
            # One problem, one finding: the same error repeats in every generated entry, and
            # grub-script-check's follow-up errors add nothing to "grub.cfg is not installed".
            continue
        seen.add(d.origin)
        refused = refused or generated
        yield Hit(
            d.message,
            offset=v.offset_of(d.origin),
            severity="warning" if d.severity == "warning" else None,
        )
