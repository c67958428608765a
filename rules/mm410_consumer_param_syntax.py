"""ramoops.* values the kernel rejects or reads differently than written.

What it finds:
    Each ``ramoops.<param>=`` kernel parameter whose value the module-parameter parser refuses:
    a size with a suffix (``ramoops.record_size=64K``), a number out of range, no value at all,
    a ``mem_name`` over 1024 characters or empty; a value with a leading ``0`` (read as octal);
    and names that are no ramoops parameter (typos: ``ramoops.recordsize``).
    ``ramoops.mem_name`` on a kernel that has no such parameter is MM407.

Why it matters:
    ramoops's sizes and address are ``ulong``/``ullong`` module parameters parsed with
    ``kstrtoul``/``kstrtoull`` base 0 (lib/kstrtox.c): digits only, ``0x`` for hex, a leading ``0``
    for octal, no ``K``/``M``/``G``; ``mem_type`` is ``uint``, ``max_reason``, ``ecc`` and
    ``dump_oops`` are ``int`` (fs/pstore/ram.c). Built in, a rejected value prints ``Booting kernel:
    `64K' invalid for parameter `ramoops.record_size'`` and the default stays (4096 for the zone
    sizes, 0 for ``mem_size``: no ramoops); as a module (Debian: ``CONFIG_PSTORE_RAM=m``) a bad
    parameter makes the load fail (exact message not confirmed). An unknown ``ramoops.*`` name is
    dropped silently when built in and reported as ``ramoops: unknown parameter '...' ignored`` by a
    module load (fs/pstore/ram.c ramoops_probe()). A ``charp`` longer than 1024 characters is
    refused (``param_set_charp``: -ENOSPC).

Example:
    ``ramoops.mem_size=1M ramoops.record_size=64K``.

How to fix:
    Write plain numbers: ``ramoops.mem_size=0x100000 ramoops.record_size=0x10000`` (or
    ``1048576``, ``65536``); spell the parameter as fs/pstore/ram.c does.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.consumers import (
    RAMOOPS_PARAMS,
    charp_too_long,
    ramoops_params,
    read_ramoops,
)
from memmap_lint.kernel.misread import octal_meant, suffixed_size
from memmap_lint.kernel.sizes import kernel_size
from memmap_lint.rule import Hit, HostContext

CODE = "MM410"
NAME = "consumer-param-syntax"
SEVERITY = "error"
NEEDS_E820 = False

_DEFAULT_EFFECT = {
    "mem_size": "mem_size stays 0, so ramoops does not start unless ramoops.mem_name finds its "
    "region",
    "mem_address": "mem_address stays 0",
}


def _default(field: str) -> str:
    if field in _DEFAULT_EFFECT:
        return _DEFAULT_EFFECT[field]
    default = RAMOOPS_PARAMS[field][1]
    return f"{field} keeps its default {default}"


def _number(ctx: HostContext, p: Param, field: str, kind: str) -> Iterator[Hit]:
    value = p.value
    offset = p.value_start if p.value_start is not None else p.start
    shown = value if value is not None else ""
    if value is None:
        why = "has no value"
    else:
        r = read_ramoops(p)
        if r.error is None:
            meant = octal_meant(value, r.value)
            if meant is not None:
                yield Hit(
                    f"{p.raw}: the leading 0 makes kstrto{_short(kind)} read octal: the value "
                    f"is {r.value}, not {meant}.",
                    param=p,
                    offset=offset,
                    severity="warning",
                )
            return
        if r.error == "ERANGE":
            why = f"is out of range for a {kind}"
        else:
            size = suffixed_size(value)
            if size is not None:
                why = (
                    f"has a size suffix, which kstrto{_short(kind)} does not accept "
                    f"(write {size:#x} for {kernel_size(size)})"
                )
            else:
                why = f"is not a number kstrto{_short(kind)} accepts (digits, 0x hex, 0 octal)"
    yield Hit(
        f"{p.raw}: the value {why}. Built in, the kernel prints \"Booting kernel: `{shown}' "
        f"invalid for parameter `{p.name}'\" and {_default(field)}; as a module the load "
        "fails (message not confirmed).",
        param=p,
        offset=offset,
    )


def _short(kind: str) -> str:
    return {"ulong": "ul", "ullong": "ull", "uint": "uint", "int": "int"}[kind]


def check(ctx: HostContext) -> Iterator[Hit]:
    for p in ramoops_params(ctx.cmdline):
        field = p.key.split(".", 1)[1]
        if field not in RAMOOPS_PARAMS:
            near = difflib.get_close_matches(field, list(RAMOOPS_PARAMS), n=1)
            hint = f" Did you mean ramoops.{near[0]}?" if near else ""
            yield Hit(
                f"{p.raw}: ramoops has no parameter '{field}': built in it is dropped silently, "
                f"a module load prints \"ramoops: unknown parameter '{field}' ignored\".{hint}",
                param=p,
                severity="warning",
            )
            continue
        kind = RAMOOPS_PARAMS[field][0]
        if kind != "charp":
            yield from _number(ctx, p, field, kind)
            continue
        if not ctx.kernel.has_mem_name:
            continue  # MM407
        offset = p.value_start if p.value_start is not None else p.start
        if p.value is None:
            yield Hit(
                f"{p.raw}: no value: the kernel prints \"Booting kernel: `' invalid for "
                f"parameter `{p.name}'\" and ramoops gets no region name.",
                param=p,
            )
        elif p.value == "":
            yield Hit(
                f'{p.raw}: the name is empty: the lookup of "" finds no region and ramoops '
                "does not start (unless mem_size is given).",
                param=p,
                offset=offset,
            )
        elif charp_too_long(p.value):
            yield Hit(
                f"{p.name}=...: the value is longer than 1024 characters: param_set_charp "
                "refuses it (string parameter too long) and ramoops gets no region name.",
                param=p,
                offset=offset,
            )
