"""ramoops.mem_name names a region that nothing on the command line reserves.

What it finds:
    A ``ramoops.mem_name=NAME`` (the last one wins, as for every module parameter) for which no
    ``reserve_mem=...:NAME`` (mainline) or ``memmap=nn*align:NAME`` (a kernel with the RFC
    patch) is written among the kernel's parameters: a typo, another case (names are compared
    with ``strcmp``), or a region of the kind this kernel's ramoops does not read.

    Ownership: when a region of that name *is* requested but the kernel refuses or cannot place
    it, the rule that explains why reports it (MM105/MM106 unsupported, MM101 syntax, MM201/202
    name, MM203 duplicate, MM204 table full, MM301 does not fit, MM107/MM108 after ``--`` or
    past the length limit); MM407 reports a kernel whose ramoops has no ``mem_name``. This rule
    stays quiet then, so one problem gives one finding.

Why it matters:
    ``ramoops_register_dummy()`` (fs/pstore/ram.c, 6.11+) calls ``reserve_mem_find_by_name(mem_name,
    ...)`` (the RFC's patch 2/2: ``memmap_named()``); when the name is not found it prints nothing
    and keeps ``ramoops.mem_address``/``mem_size``. Without an explicit ``mem_size`` (default 0)
    ramoops returns silently: no pstore, no crash log, and the memory reserved for it is lost. With
    an explicit ``mem_size`` ramoops uses ``mem_address`` (default 0): a fixed range that nothing
    reserved (fs/pstore/ram.c ramoops_probe()).

Example:
    ``reserve_mem=12M:4096:oops ramoops.mem_name=Oops`` on 6.12: the lookup of ``Oops`` fails.

How to fix:
    Spell the name exactly as in the reservation (``ramoops.mem_name=oops``), or add the
    reservation (``reserve_mem=12M:4096:oops``, Linux 6.11+).
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.consumers import charp_too_long, ramoops_kind, ramoops_last, ramoops_value
from memmap_lint.kernel.model import RESERVE_MEM
from memmap_lint.kernel.names import kind_supported, mentions
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._consumers_common import close_names

CODE = "MM401"
NAME = "dangling-mem-name"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    param = ramoops_last(ctx.cmdline, "mem_name")
    if param is None or param.value is None or not ctx.kernel.has_mem_name:
        return
    name = param.value
    if name == "" or charp_too_long(name):
        return  # MM410: the kernel rejects or empties the value itself
    kind = ramoops_kind(ctx.kernel)
    reqs = mentions(ctx.cmdline)
    same = [r for r in reqs if r.name == name]
    if any(r.kind == kind or not kind_supported(ctx.kernel, r.kind) for r in same):
        return  # requested: a refusal or no-fit is reported by the rule that owns it
    if any(r.where != "params" for r in same):
        return
    table = "reserve_mem" if kind == RESERVE_MEM else "memmap wildcard (memmap_named)"
    lookup = (
        "reserve_mem_find_by_name()" if kind == RESERVE_MEM else "memmap_named() (RFC patch 2/2)"
    )
    if same:
        other = same[0]
        why = (
            f"{other.text} is a region of the other table: this kernel's ramoops looks names "
            f"up with {lookup} only"
        )
    else:
        similar = close_names(name, (r.name for r in reqs if r.kind == kind))
        why = f"no {table} region of that name is reserved on the command line"
        if similar:
            why += (
                " (names are case-sensitive; did you mean "
                + " or ".join(f"'{s}'" for s in similar)
                + "?)"
            )
    mem_size = ramoops_value(ctx.cmdline, "mem_size")
    if mem_size:
        address = ramoops_value(ctx.cmdline, "mem_address")
        outcome = (
            f"ramoops falls back to ramoops.mem_address/mem_size and writes its logs to "
            f"{address:#x}-{address + mem_size - 1:#x}, a range nothing reserves"
        )
    else:
        outcome = (
            "the lookup fails silently, mem_size stays 0 and ramoops does not start: no pstore "
            "crash log"
        )
    offset = param.value_start if param.value_start is not None else param.start
    yield Hit(
        f"ramoops.mem_name={name}: {why}; {outcome}.",
        param=param,
        offset=offset,
    )
