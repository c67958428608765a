"""A boot file whose next kernel is not known: every parameter was checked under each kernel.

What it finds:
    A boot file linted without a word on the kernel that boots next: no ``--kernel``,
    ``--dialect`` or ``--feature``, no ``boot-files`` profile in the config, and no release in
    the file (a BLS ``version``, the ``vmlinuz-RELEASE`` of a ``linux`` line, a UKI's
    ``.uname``). A kernel named without a version (``linux /vmlinuz-linux-cachyos``) counts as
    unknown too. Reported once per file, as an info.

Why it matters:
    The same parameter means different things to different kernels: ``memmap=12M*4096:oops``
    reserves a named region on a kernel with the RFC wildcard patch and removes all RAM above
    12 MiB on any other; ``reserve_mem=`` exists from 6.11 only (mm/memblock.c). Guessing one
    kernel would report errors a file never has, or miss the ones it does. So the entry is
    checked as a kernel without the RFC patch (before 6.11), an RFC kernel and 6.11 or later: a
    finding that holds on all three keeps its severity; one that holds on some only says on
    which and is one severity lower (an "unsupported syntax" finding, MM105, MM106, MM407,
    becomes an info: the file may simply target another kernel).

Example:
    ``/etc/kernel/cmdline`` holding ``reserve_mem=12M:4096:oops ramoops.mem_name=oops
    reserve_mem=4M:4096:oops``, linted as ``memmap-lint etc/kernel/cmdline``.

How to fix:
    Say which kernel boots next: ``--kernel 6.12.9-amd64`` (or ``--dialect rfc``, ``--feature
    memmap-wildcard``) on ``lint`` or in the pre-commit hook's ``args``, or a ``boot-files``
    profile in the config (``kernel``, ``dialect``, ``kernel-features``).
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.rule import Hit, HostContext

CODE = "MM605"
NAME = "kernel-unknown"
SEVERITY = "info"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    v = ctx.boot
    if v is None or not v.primary or not ctx.facts.get("kernel_candidates"):
        return
    name = ctx.facts.get("kernel_name")
    named = f" (the file names the kernel {name!r}, which carries no version)" if name else ""
    yield Hit(
        f"the next kernel is not known{named}: every parameter was checked as a kernel without "
        "the RFC patch (before 6.11), an RFC kernel and 6.11 or later; a finding that holds on "
        "some of them only says on which, one severity lower. Name the kernel with --kernel, "
        "--dialect or --feature, or a boot-files profile in the config."
    )
