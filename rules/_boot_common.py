"""Helpers shared by the boot-configuration rules (MM501-MM506); not a rule module."""

from __future__ import annotations

import re

from memmap_lint.bootconfig.model import BootEntry, Origin
from memmap_lint.bootconfig.view import BootView
from memmap_lint.kernel.cmdline import Cmdline, Param, parse
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

_IMAGE = re.compile(r"^BOOT_IMAGE=(\S*)")


def reservations(cmdline: Cmdline) -> list[Param]:
    """The memory-reservation parameters of a command line, in order."""
    return cmdline.named(*RESERVATION_KEYS)


def reservation_texts(entry: BootEntry) -> list[str]:
    """The reservation parameters an entry's kernel receives, as written."""
    return [p.raw for p in reservations(parse(entry.cmdline))]


def is_recovery(entry: BootEntry) -> bool:
    """A recovery (GRUB) or rescue (BLS) entry."""
    text = f"{entry.title} {entry.id or ''}".lower()
    return entry.kind == "recovery" or "rescue" in text or "recovery mode" in text


def image_of(entry: BootEntry) -> str | None:
    """The kernel image an entry boots (its ``BOOT_IMAGE=``), when GRUB wrote one."""
    m = _IMAGE.match(entry.cmdline)
    return m.group(1) if m else None


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
        before = sum(e.size for e in sim.firmware if e.type in (1, 128))
        text += (
            f" (on this hardware {human(sim.ram_total())} of {human(before)} of RAM would remain)"
        )
    return text
