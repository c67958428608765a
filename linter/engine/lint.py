"""Linting a fleet: inventory hosts -> captures -> simulations -> rules -> results.

Everything keyed by content is computed once: a capture per file, a simulation per (map,
command line, kernel), rule hits per (simulation, facts); per host only the name and the
locations differ.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memmap_lint.bootconfig.view import BootView
from memmap_lint.captures.parse import Capture, capture_digest, load_capture, parse_capture
from memmap_lint.engine.config import Config
from memmap_lint.engine.findings import Finding, Location
from memmap_lint.engine.registry import matches
from memmap_lint.engine.results import HostResult
from memmap_lint.engine.runner import Engine
from memmap_lint.errors import LintError
from memmap_lint.inventory.model import Host, Inventory, VarDef
from memmap_lint.kernel.cmdline import Cmdline, parse
from memmap_lint.kernel.release import Kernel, kernel_for
from memmap_lint.kernel.simulate import Options, simulate
from memmap_lint.rule import FleetContext, HostContext, Rule

if TYPE_CHECKING:
    from memmap_lint.collect.run import Outcome
    from memmap_lint.report.progress import Progress


@dataclass
class CaptureCache:
    """Captures loaded once per file (or inline text) and their digests."""

    loaded: dict[str, tuple[Capture, str]] = field(default_factory=dict)
    #: (spec, base) -> key of ``loaded``: the path arithmetic done once per distinct spelling.
    _keys: dict[tuple[str, Path], str] = field(default_factory=dict)

    def get(self, spec: str, base: Path, label: str) -> tuple[Capture, str]:
        known = self._keys.get((spec, base))
        if known is not None:
            return self.loaded[known]
        found = self._get(spec, base, label)
        if "\n" not in spec:
            self._keys[(spec, base)] = str(Path(spec) if Path(spec).is_absolute() else base / spec)
        return found

    def _get(self, spec: str, base: Path, label: str) -> tuple[Capture, str]:
        if "\n" in spec:
            key = "inline:" + spec
            if key not in self.loaded:
                cap = parse_capture(spec, label)
                self.loaded[key] = (cap, capture_digest(cap))
            return self.loaded[key]
        path = Path(spec) if Path(spec).is_absolute() else base / spec
        key = str(path)
        if key not in self.loaded:
            cap = load_capture(path)
            self.loaded[key] = (cap, capture_digest(cap))
        return self.loaded[key]


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


@dataclass
class HostInput:
    """What one host brings: resolved before any rule runs."""

    host: Host
    kernel: Kernel
    cmdline: Cmdline
    locate: Callable[[int | None], Location | None]
    capture: Capture | None
    digest: str | None
    facts: dict[str, Any]
    #: The boot entry the command line comes from (boot files, inventory ``boot_files``).
    boot: BootView | None = None


@lru_cache(maxsize=4096)
def _parsed(text: str) -> Cmdline:
    """``parse`` memoized by text (a Cmdline is immutable; a fleet has few distinct lines)."""
    return parse(text)


@lru_cache(maxsize=4096)
def _kernel(release: Any, features: tuple[Any, ...], dialect: Any) -> Kernel:
    return kernel_for(release, features, dialect)


def _kernel_of(host: Host) -> Kernel:
    release, features, dialect = (
        host.get("kernel"),
        host.get("kernel_features") or (),
        host.get("dialect"),
    )
    plain = (
        isinstance(release, (str, type(None)))
        and isinstance(dialect, (str, type(None)))
        and isinstance(features, (list, tuple))
        and all(type(f) is str for f in features)
    )
    if plain:
        return _kernel(release, tuple(features), dialect)
    return kernel_for(release, features, dialect)


@lru_cache(maxsize=4096)
def _parent(path: str) -> Path:
    return Path(path).parent


def host_input(host: Host, captures: CaptureCache) -> HostInput:
    """Resolve a host's kernel, command line and capture; LintError when they are unusable."""
    kernel = _kernel_of(host)
    cmd_var = host.vars.get("kernel_cmdline")
    text = host.get("kernel_cmdline") or ""
    cmdline = _parsed(text)
    locate = _locator(host, cmd_var)
    boot: BootView | None = None
    if host.get("boot_files"):
        from memmap_lint.engine.bootlint import boot_locator, inventory_boot

        files = host.vars["boot_files"]
        try:
            found = inventory_boot(host.get("boot_files"), Path(files.pos.path).parent)
        except LintError as exc:
            raise exc.located(files.pos.path) from exc
        if found is not None:
            boot = found
            cmdline = _parsed(boot.entry.cmdline)
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
            where = f" ({exc.path})" if exc.path and exc.path != e820.pos.path else ""
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
    return HostInput(host, kernel, cmdline, locate, capture, digest, facts, boot)


@dataclass
class Linter:
    """Runs the selected rules over hosts; one instance per run (it holds the memo tables)."""

    rules: Sequence[Rule]
    config: Config
    captures: CaptureCache = field(default_factory=CaptureCache)
    simulations: int = 0

    def __post_init__(self) -> None:
        self.engine = Engine(self.rules, dict(self.config.severity))
        self._sims: dict[tuple[Any, ...], Any] = {}

    def _simulation(self, inp: HostInput) -> Any:
        if inp.capture is None:
            return None
        key = (inp.digest, inp.cmdline.text, inp.kernel)
        if key not in self._sims:
            self.simulations += 1
            self._sims[key] = simulate(
                inp.capture.entries,
                inp.cmdline,
                inp.kernel,
                inp.capture.setup_data,
                Options(headroom=self.config.thresholds.headroom),
            )
        return self._sims[key]

    def _ignored(self, host: Host) -> tuple[str, ...]:
        own = host.get("memmap_lint_ignore") or []
        per_group = [c for g in host.groups for c in self.config.group_ignores.get(g, ())]
        return (*own, *per_group)

    def lint_hosts(
        self, inputs: Sequence[HostInput], progress: Progress | None = None
    ) -> list[HostResult]:
        results: list[HostResult] = []
        contexts: list[HostContext] = []
        for inp in inputs if progress is None else progress.track(inputs):
            sim = self._simulation(inp)
            ctx = HostContext(
                inp.host.name,
                inp.cmdline,
                inp.kernel,
                sim,
                self.config.thresholds,
                inp.facts,
                inp.locate,
                inp.boot,
            )
            key = (
                inp.digest,
                inp.cmdline.text,
                inp.kernel,
                self.config.thresholds.key(),
                _facts_key(inp.facts),
                inp.boot.key() if inp.boot is not None else None,
            )
            findings = self.engine.check_host(ctx, key)
            ignored = self._ignored(inp.host)
            if ignored:
                findings = [f for f in findings if not _suppressed(f, ignored, self.rules)]
            if sim is not None:
                contexts.append(ctx)
            results.append(
                HostResult(inp.host.name, sim, tuple(findings), inp.host.groups, inp.digest)
            )
        by_host = {r.host: i for i, r in enumerate(results)}
        locators = {inp.host.name: inp.locate for inp in inputs}
        fleet = self.engine.check_fleet(
            FleetContext(tuple(contexts), self.config.thresholds),
            lambda h, off: locators[h](off) if h in locators else None,
        )
        for f in fleet:
            i = by_host.get(f.host)
            if i is None:
                continue
            r = results[i]
            host = inputs[i].host
            if _suppressed(f, self._ignored(host), self.rules):
                continue
            results[i] = HostResult(r.host, r.simulation, (*r.findings, f), r.groups, r.profile)
        return [
            HostResult(
                r.host,
                r.simulation,
                tuple(sorted(r.findings, key=Finding.sort_key)),
                r.groups,
                r.profile,
            )
            for r in results
        ]


def _freeze(value: Any) -> Any:
    """A hashable stand-in for a YAML value that tells apart what rules could tell apart."""
    if isinstance(value, dict):
        return frozenset((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return (type(value), tuple(_freeze(v) for v in value))
    hash(value)
    return (type(value), value)


def _facts_key(facts: Mapping[str, Any]) -> Any:
    """The memo key of a host's facts (their JSON text when a value cannot be hashed)."""
    try:
        return _freeze(dict(facts))
    except TypeError:
        return json.dumps(facts, sort_keys=True, default=str)


def _suppressed(f: Finding, ignored: Sequence[str], rules: Sequence[Rule]) -> bool:
    rule = next((r for r in rules if r.code == f.code), None)
    return rule is not None and any(matches(rule, p) for p in ignored)


def collect_inputs(
    inventory: Inventory,
    hosts: Sequence[Host],
    captures: CaptureCache,
    collected: Mapping[str, Outcome] | None = None,
    progress: Progress | None = None,
) -> tuple[list[HostInput], list[LintError]]:
    """Resolve every host; errors are gathered so that one bad host does not hide the others.

    ``collected`` holds the SSH collection outcome of the hosts that were collected
    (``lint_collected.with_collected`` merges each into the host's input); ``progress`` counts
    the hosts done.
    """
    inputs: list[HostInput] = []
    errors: list[LintError] = []
    now = dt.datetime.now(dt.timezone.utc)
    for host in hosts if progress is None else progress.track(hosts):
        try:
            inp = host_input(host, captures)
            if collected is not None and host.name in collected:
                from memmap_lint.engine.lint_collected import with_collected

                inp = with_collected(inp, collected[host.name], now)
            inputs.append(inp)
        except LintError as exc:
            errors.append(exc.located(inventory.path))
    return inputs, errors
