"""trace_instance=NAME@REGION where no reserve_mem= region of that name is requested.

What it finds:
    A ``trace_instance=`` whose ``@`` target is a region name (it does not start with a digit)
    that no ``reserve_mem=...:REGION`` among the kernel's parameters names: a typo, another
    case, or a ``memmap=nn*align:REGION`` (the RFC's table, which tracing never reads).

    Ownership as in MM401: a region that is requested but refused or not placed is reported by
    the rule that explains why (MM106, MM1xx, MM2xx, MM301, MM107/MM108); a kernel without the
    ``@`` syntax by MM407; an empty target by MM408.

Why it matters:
    ``enable_instances()`` (kernel/trace/trace.c, 6.12+) calls ``reserve_mem_find_by_name(REGION,
    ...)``; when it fails it prints ``Failed to map boot instance NAME to REGION`` and skips the
    **whole** instance, its events included: no instance, no boot trace, and nothing persistent
    (kernel/trace/trace.c enable_instances()).

Example:
    ``reserve_mem=64M:4096:trace trace_instance=boot_map@Trace,sched``.

How to fix:
    Use the exact region name (``trace_instance=boot_map@trace``) or add
    ``reserve_mem=SIZE:4096:REGION``.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.consumers import TRACE_AT_SINCE, all_instances
from memmap_lint.kernel.model import RESERVE_MEM, WILDCARD
from memmap_lint.kernel.names import mentions
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._consumers_common import close_names

CODE = "MM405"
NAME = "trace-instance-dangling"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    if ctx.kernel.at_least(TRACE_AT_SINCE) is False:
        return
    reqs = mentions(ctx.cmdline)
    for inst in all_instances(ctx.cmdline):
        target = inst.target
        if target is None or not inst.names_region:
            continue
        same = [r for r in reqs if r.name == target]
        if any(r.kind == RESERVE_MEM for r in same):
            continue  # requested: its refusal or no-fit belongs to another rule
        wildcard = [r for r in same if r.kind == WILDCARD]
        if wildcard:
            why = (
                f"{wildcard[0].text} puts it in the RFC's memmap table, which tracing never "
                "reads (it looks names up with reserve_mem_find_by_name())"
            )
        else:
            why = "no reserve_mem= region of that name is requested"
            similar = close_names(target, (r.name for r in reqs if r.kind == RESERVE_MEM))
            if similar:
                why += (
                    " (names are case-sensitive; did you mean "
                    + " or ".join(f"'{s}'" for s in similar)
                    + "?)"
                )
        events = f" and its events ({', '.join(inst.events)})" if inst.events else ""
        yield Hit(
            f"trace_instance {inst.name}@{target}: {why}. The kernel prints 'Failed to map boot "
            f"instance {inst.name} to {target}' and skips the whole instance{events}.",
            param=inst.param,
            offset=inst.target_offset,
        )
