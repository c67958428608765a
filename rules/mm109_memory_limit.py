"""A memory limit: memmap=nn (or a typo that lands there) or mem=nn removes RAM.

What it finds:
    Every ``memmap=`` piece that ``parse_memmap_one()`` handles in its last branch - a bare
    ``memmap=nn`` and any piece whose size is followed by something other than ``@ # $ ! %``:
    typos (``memmap=4G2G``, ``memmap=4GB$12G``, ``memmap=08M$1G``) and what GRUB leaves of an
    unescaped ``$`` (``memmap=4GG``, ``memmap=4Gx30000000``) - and every ``mem=nn``. With an e820
    map it says how much RAM the machine keeps.

    Ownership: the wildcard ``memmap=nn*align:name`` on a kernel without the RFC is MM105's;
    ``mem=0`` MM103's; ``mem=`` with no number MM101's; a ``mem=`` value misread as 0 MM102's;
    the interaction of a limit with named regions is MM307's. This rule explains any misreading
    (MM102 does not report those pieces). On the RFC kernel, pieces after a named wildcard that do
    not start with a digit are MM205's.

Why it matters:
    The last branch calls ``e820__range_remove(nn, ULLONG_MAX - nn, E820_TYPE_RAM, 1)``: every
    byte of RAM at or above physical address nn is gone, silently (the ``-EINVAL`` for the
    trailing text is discarded). ``mem=nn`` does the same (x86 ``parse_memopt()``): it is an
    address limit, not an amount, so holes below nn count. Below 16 MiB (where the kernel image is
    loaded) the machine is expected not to boot (arch/x86/kernel/e820.c ``parse_memmap_one()``,
    ``parse_memopt()``).

Example:
    ``GRUB_CMDLINE_LINUX="memmap=4G$12G"`` reaches the kernel as ``memmap=4G2G``: all RAM above
    4 GiB is removed.

How to fix:
    For a reservation write ``memmap=<size>$<address>`` and escape the ``$`` for the boot loader
    (``\\$`` in grub.cfg; ``'...\\$...'`` or ``\\\\\\$`` in /etc/default/grub); use
    ``reserve_mem=`` for a named region. Keep ``mem=``/``memmap=nn`` only for a deliberate limit.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.kaslr import LOAD_PHYSICAL_ADDR
from memmap_lint.kernel.misread import pitfall, unit_only
from memmap_lint.kernel.model import RFC
from memmap_lint.kernel.params import MemmapItem, read_mem
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._cmdline_common import owned_pieces

CODE = "MM109"
NAME = "memory-limit"
SEVERITY = "warning"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    for param in ctx.cmdline.params:
        if param.key == "memmap" and param.value is not None:
            for _, item in owned_pieces(ctx, param):
                if item.form != "limit" or item.size is None:
                    continue
                if ctx.kernel.dialect != RFC and item.stop_char == "*":
                    continue  # MM105
                yield _memmap(ctx, param, item)
        elif param.key == "mem" and param.value not in (None, "nopentium"):
            hit = _mem(ctx, param)
            if hit is not None:
                yield hit


def _why_limit(item: MemmapItem) -> str:
    """Why the kernel took the memory-limit branch for this piece."""
    assert item.size is not None
    text, size = item.text, item.size
    read = text[: size.end] or text[:1]
    misread = pitfall(text, size, "the size")
    if not item.trailing:
        return "this is the memory-limit form (no @ # $ ! % after the size)"
    nxt = item.trailing[0]
    if misread is not None:
        return f"{misread}; '{nxt}' is not a memmap form (@ # $ ! %), so the kernel reads memmap={read}"
    reason = f"'{nxt}' after the size is not a memmap form (@ # $ ! %), so the kernel reads memmap={read}"
    if size.suffix and (nxt.isdigit() or nxt in "xXgGmMkKtT"):
        reason += (
            f" (this is what a boot loader leaves of memmap={read}$...: GRUB expands '$1', "
            f"'$12' or '$0' as a variable, so escape the '$')"
        )
    return reason


def _effect(ctx: HostContext, limit: int) -> str:
    effect = f"every byte of RAM at or above {limit:#x} ({human(limit)}) is removed"
    sim = ctx.sim
    if sim is None:
        return effect
    total = sim.firmware_ram()
    kept = sim.firmware_ram(limit)
    effect += f": {human(kept)} of the {human(total)} of RAM in this machine's map remain"
    if sim.panic:
        effect += f" (the simulated boot stops: {sim.panic})"
    elif sim.table:
        effect += f"; after the whole command line the kernel has {human(sim.ram_total())} of RAM"
    return effect


def _critical(typo: bool, limit: int) -> bool:
    return typo or limit < LOAD_PHYSICAL_ADDR


def _memmap(ctx: HostContext, param: Param, item: MemmapItem) -> Hit:
    assert item.size is not None
    limit = item.size.value
    # "memmap=4GB" is the limit that was meant; "memmap=4GB$12G" or "memmap=08M" is not.
    as_meant = unit_only(item.text, item.size) and item.trailing.lstrip("iIbB") == ""
    typo = not as_meant and (
        bool(item.trailing) or pitfall(item.text, item.size, "the size") is not None
    )
    shown = f"memmap={item.text}"
    boot = (
        " The machine is expected not to boot (the kernel image is loaded at 16 MiB)."
        if limit < LOAD_PHYSICAL_ADDR
        else ""
    )
    if typo:
        fix = " For a reservation write memmap=<size>$<address>; for a named region, reserve_mem=."
    else:
        fix = " Keep it only if the limit is deliberate."
    message = f"{shown}: {_why_limit(item)}: {_effect(ctx, limit)}.{boot}{fix}"
    if _critical(typo, limit):
        return Hit(
            "critical: " + message, param=param, offset=item.offset, text=shown, severity="error"
        )
    return Hit(message, param=param, offset=item.offset, text=shown)


def _mem(ctx: HostContext, param: Param) -> Hit | None:
    assert param.value is not None
    number = read_mem(param).parsed
    if number is None or number.value == 0:
        return None  # MM101, MM102 or MM103
    misread = pitfall(param.value, number, "the size")
    limit = number.value
    ignored = param.value[number.end :]
    note = f"{misread}. " if misread else ""
    if ignored and not misread:
        note = f"'{ignored}' after the size is ignored. "
    boot = (
        " The machine is expected not to boot (the kernel image is loaded at 16 MiB)."
        if limit < LOAD_PHYSICAL_ADDR
        else ""
    )
    message = (
        f"{param.raw}: {note}mem= is an address limit on x86, not an amount: "
        f"{_effect(ctx, limit)}.{boot}"
    )
    if _critical(misread is not None and not unit_only(param.value, number), limit):
        return Hit(
            "critical: " + message,
            param=param,
            offset=param.value_offset,
            severity="error",
        )
    return Hit(message, param=param, offset=param.value_offset)
