"""Phrasing shared by the MM3xx placement rules (what-if runs are in ``memmap_lint.kernel.whatif``)."""

from __future__ import annotations

from memmap_lint.kernel.e820 import U64
from memmap_lint.kernel.model import WILDCARD, Region

MIB = 1 << 20
GIB = 1 << 30


def rng(start: int, end: int) -> str:
    """``[mem 0x...-0x...]`` for ``[start, end)``, as the kernel prints ranges."""
    return f"[mem {start & U64:#018x}-{(end - 1) & U64:#018x}]"


def shown(region: Region) -> str:
    """The region's parameter as written: ``memmap=<piece>`` or the whole ``reserve_mem=...``."""
    if region.kind == WILDCARD:
        return f"memmap={region.text}"
    return region.text


def label(region: Region) -> str:
    """``'oops'`` or ``an unnamed region`` for messages."""
    return f"'{region.name}'" if region.name else "an unnamed region"
