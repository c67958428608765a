"""What the MM7xx rules share: the comparison ``memmap-lint verify`` put in the host facts."""

from __future__ import annotations

from typing import Any

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import HostContext

Json = dict[str, Any]


def verdict(ctx: HostContext) -> Json | None:
    """The host's post-boot comparison (``engine.verify.check_host``), or None outside verify."""
    found = ctx.facts.get("verify")
    return found if isinstance(found, dict) else None


def region_param(ctx: HostContext, item: Json) -> Param | None:
    """The parameter that asked for a compared region."""
    if ctx.sim is None or not 0 <= item["index"] < len(ctx.sim.regions):
        return None
    return ctx.sim.regions[item["index"]].param


def region_text(ctx: HostContext, item: Json) -> str:
    """The region's piece of the command line as written."""
    if ctx.sim is None or not 0 <= item["index"] < len(ctx.sim.regions):
        return str(item["name"])
    return ctx.sim.regions[item["index"]].text


def span(start: int | None, size: int | None) -> str:
    """``[mem 0x...-0x...] (12 MiB)`` as the kernel writes a range, or ``?``."""
    if start is None or size is None:
        return f"({human(size)})" if size else "?"
    return f"[mem {start:#018x}-{start + size - 1:#018x}] ({human(size)})"
