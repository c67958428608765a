"""A memory parameter after ``--``, where the kernel stops reading.

What it finds:
    ``memmap=``, ``mem=``, ``reserve_mem=``, ``trace_instance=``, ``crashkernel=`` or a
    ``ramoops.*`` parameter written after a bare ``--`` on the command line.

Why it matters:
    ``parse_args()`` stops at a bare ``--`` and hands the rest to init as its arguments
    (kernel/params.c, init/main.c); ``parse_early_param()`` stops there too, so ``memmap=`` and
    ``mem=`` never edit the e820 map and ``reserve_mem=`` reserves nothing. The EFI stub looks for
    ``mem=``/``memmap=`` with ``strstr`` and does not stop at ``--``, so on EFI boots such a
    parameter still turns physical KASLR off while doing nothing else (kernel/params.c
    ``parse_args()``, init/main.c ``start_kernel()``, drivers/firmware/efi/libstub/x86-stub.c
    ``parse_options()``). Whether modprobe applies ``ramoops.*`` options found after ``--`` in
    ``/proc/cmdline`` for a modular ramoops is not confirmed.

Example:
    ``ro quiet -- memmap=12M$0x100000000 reserve_mem=12M:4096:oops``

How to fix:
    Move the parameter before the ``--`` (everything after it is meant for init).
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._cmdline_common import is_memory_param

CODE = "MM107"
NAME = "after-double-dash"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    for param in ctx.cmdline.init_args:
        if not is_memory_param(param):
            continue
        extra = ""
        if param.key in ("memmap", "mem"):
            extra = (
                " On EFI boots the stub still sees it (strstr ignores '--') and turns physical "
                "KASLR off."
            )
        elif param.key.startswith("ramoops."):
            extra = (
                " A built-in ramoops never sees it; whether modprobe picks it up from "
                "/proc/cmdline for a modular ramoops is not confirmed."
            )
        yield Hit(
            f"{param.raw} comes after '--': the kernel stops reading parameters there and passes "
            f"it to init, so it has no effect on memory.{extra} Move it before the '--'.",
            param=param,
        )
