"""Phrasing shared by the boot-configuration rules (MM501-MM506); the files are read in
``memmap_lint.bootconfig``, the command line in ``memmap_lint.kernel``."""

from __future__ import annotations

from memmap_lint.bootconfig.model import BootEntry, Origin
from memmap_lint.bootconfig.view import BootView
from memmap_lint.kernel.cmdline import Cmdline, Param, parse
from memmap_lint.kernel.e820 import usable
from memmap_lint.kernel.params import memmap_items
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import HostContext

#: Parameters that reserve memory or tell a consumer where reserved memory is.
RESERVATION_KEYS = (
    "memmap",
    "reserve_mem",
    "ramoops.mem_name",
    "ramoops.mem_address",
    "ramoops.mem_size",
    "trace_instance",
)


def reservations(cmdline: Cmdline) -> list[Param]:
    """The memory-reservation parameters of a command line, in order."""
    return cmdline.named(*RESERVATION_KEYS)


def reservation_texts(entry: BootEntry) -> list[str]:
    """The reservation parameters an entry's kernel receives, as written."""
    return [p.raw for p in reservations(parse(entry.cmdline))]


def view(ctx: HostContext) -> BootView | None:
    return ctx.boot


def where(origin: Origin) -> str:
    return f"{origin.path}:{origin.line}"


def effect(param: Param, ctx: HostContext) -> str:
    """What the kernel does with a (mangled) ``memmap=`` parameter, in words."""
    limits = [it for it in memmap_items(param, wildcard=False) if it.form == "limit" and it.size]
    if not limits:
        return "the reservation it was meant to make does not happen"
    size = min(it.size.value for it in limits if it.size is not None)
    text = f"every byte of RAM above {human(size)} is removed"
    sim = ctx.sim
    if sim is not None:
        before = sum(e.size for e in usable(sim.firmware))
        text += (
            f" (on this hardware {human(sim.ram_total())} of {human(before)} of RAM would remain)"
        )
    return text
