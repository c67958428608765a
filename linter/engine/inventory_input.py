"""An inventory host's sources: its variables, its boot files, and what collection found.

What the inventory says wins where it speaks (``lint_collected`` lays the collected facts over
it); :func:`collect_inputs` resolves every selected host, gathering the errors so that one bad
host does not hide the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memmap_lint.engine.bootlint import inventory_boot
from memmap_lint.engine.findings import Location
from memmap_lint.engine.hostinput import (
    CaptureCache,
    HostInput,
    Sources,
    boot_locator,
    build,
)
from memmap_lint.errors import LintError
from memmap_lint.inventory.model import Host, Inventory, VarDef

if TYPE_CHECKING:
    from memmap_lint.collect.run import Outcome
    from memmap_lint.report.progress import Progress


def _locator(host: Host, var: VarDef | None) -> Callable[[int | None], Location | None]:
    host_loc = Location(host.pos.path, host.pos.line, host.pos.column)

    def locate(offset: int | None) -> Location | None:
        if offset is None or var is None:
            return host_loc
        line, col = var.column_of(offset)
        return Location(var.pos.path, line, col)

    return locate


def _age_days(value: Any) -> int | None:
    if isinstance(value, dt.datetime):
        when = value.date()
    elif isinstance(value, dt.date):
        when = value
    elif isinstance(value, str):
        try:
            when = dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    else:
        return None
    return (dt.date.today() - when).days


@lru_cache(maxsize=4096)
def _parent(path: str) -> Path:
    return Path(path).parent


def _features(host: Host) -> Any:
    features = host.get("kernel_features") or ()
    return tuple(features) if isinstance(features, list) else features


def sources_of(host: Host, captures: CaptureCache) -> Sources:
    """What the inventory says of ``host``; LintError when a capture or boot file is unusable.

    The command line is ``kernel_cmdline``, or the default entry of the first of ``boot_files``
    that has entries.
    """
    text = host.get("kernel_cmdline") or ""
    locate = _locator(host, host.vars.get("kernel_cmdline"))
    boot = None
    if host.get("boot_files"):
        files = host.vars["boot_files"]
        try:
            boot = inventory_boot(host.get("boot_files"), Path(files.pos.path).parent)
        except LintError as exc:
            raise exc.located(files.pos.path) from exc
        if boot is not None:
            text = boot.entry.cmdline
            locate = boot_locator(boot, files.pos.path)
    capture = digest = None
    e820 = host.vars.get("e820")
    facts: dict[str, Any] = {}
    if isinstance(host.get("hardware"), dict):
        facts["hardware"] = host.get("hardware")
    if host.get("current_kernel"):
        facts["current_kernel"] = host.get("current_kernel")
    if e820 is not None:
        base = _parent(e820.pos.path)
        try:
            capture, digest = captures.get(str(e820.value), base, e820.pos.path)
        except LintError as exc:
            if exc.path and exc.path != e820.pos.path and exc.line is not None:
                raise  # a problem inside the capture: its own file, line and column
            named = exc.path or ""
            if len(named) > 4096:  # PATH_MAX: a longer one is no path
                named = f"{named[:80]}... ({len(named)} characters)"
            where = f" ({named})" if exc.path and exc.path != e820.pos.path else ""
            raise LintError(
                exc.code,
                f"host {host.name}: e820{where}: {exc.message}",
                e820.pos.path,
                e820.pos.line,
                e820.pos.column,
            ) from exc
        facts["profile"] = digest
        facts["capture"] = {
            "path": capture.source,
            "digest": digest,
            "age_days": _age_days(host.get("e820_captured_at")),
            "kernel": host.get("current_kernel"),
        }
        if capture.running_edits:  # MM707
            facts["capture"]["running_edits"] = [list(e) for e in capture.running_edits]
    return Sources(
        host,
        text,
        locate,
        host.get("kernel"),
        _features(host),
        host.get("dialect"),
        capture,
        digest,
        facts,
        boot,
    )


def collect_inputs(
    inventory: Inventory,
    hosts: Sequence[Host],
    captures: CaptureCache,
    collected: Mapping[str, Outcome] | None = None,
    progress: Progress | None = None,
) -> tuple[list[HostInput], list[LintError]]:
    """Resolve every host; errors are gathered so that one bad host does not hide the others.

    ``collected`` holds the SSH collection outcome of the hosts that were collected
    (``lint_collected.with_collected`` lays each over the host's sources); ``progress`` counts
    the hosts done.
    """
    inputs: list[HostInput] = []
    errors: list[LintError] = []
    now = dt.datetime.now(dt.timezone.utc)
    learned = None
    if collected:
        from memmap_lint.engine.lint_collected import fleet_learned, with_collected

        learned = fleet_learned(collected, now)
    for host in hosts if progress is None else progress.track(hosts):
        try:
            sources = sources_of(host, captures)
            if collected is not None and host.name in collected:
                sources = with_collected(sources, collected[host.name], now, learned)
            inputs.append(build(sources))
        except LintError as exc:
            errors.append(exc.located(inventory.path))
    return inputs, errors
