"""Running the rules over resolved hosts: simulations -> host rules -> fleet rules -> results.

Everything keyed by content is computed once: a simulation per (map, command line, kernel), rule
hits per (simulation, facts); per host only the name and the locations differ. What happens to
the findings afterwards is ``postprocess``'s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from memmap_lint.engine.config import Config
from memmap_lint.engine.hostinput import CaptureCache, HostInput
from memmap_lint.engine.options import rule_options
from memmap_lint.engine.results import HostResult, hardware_label
from memmap_lint.engine.runner import Engine
from memmap_lint.kernel.simulate import Options, simulate
from memmap_lint.rule import FleetContext, HostContext, Rule

if TYPE_CHECKING:
    from memmap_lint.report.progress import Progress


@dataclass
class Linter:
    """Runs the selected rules over hosts; one instance per run (it holds the memo tables)."""

    rules: Sequence[Rule]
    config: Config
    captures: CaptureCache = field(default_factory=CaptureCache)
    simulations: int = 0
    #: Codes among ``rules`` run only for their precedence (``registry.superseding``): their
    #: findings are dropped after it (``postprocess``).
    hidden: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        options = rule_options(self.rules, self.config.rules, self.config.path, strict=False)
        self.engine = Engine(self.rules, dict(self.config.severity), options)
        self._sims: dict[tuple[Any, ...], Any] = {}
        #: (capture's id, command line, kernel) -> (capture, simulation): the capture is kept so
        #: that its id is not reused; hosts of one profile skip building the facts again.
        self._by_input: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def _simulation(self, inp: HostInput) -> Any:
        if inp.capture is None:
            return None
        key = (id(inp.capture), inp.cmdline.text, inp.kernel)
        known = self._by_input.get(key)
        if known is None:
            known = self._by_input[key] = (inp.capture, self._simulated(inp))
        return known[1]

    def _simulated(self, inp: HostInput) -> Any:
        assert inp.capture is not None
        facts = inp.capture.boot_facts(inp.kernel.release)
        key = (inp.digest, inp.cmdline.text, inp.kernel, facts)
        if key not in self._sims:
            self.simulations += 1
            self._sims[key] = simulate(
                inp.capture.entries,
                inp.cmdline,
                inp.kernel,
                inp.capture.setup_data,
                Options(
                    headroom=self.config.thresholds.headroom,
                    facts=facts,
                ),
            )
        return self._sims[key]

    def lint_hosts(
        self, inputs: Sequence[HostInput], progress: Progress | None = None
    ) -> list[HostResult]:
        """One result per input, in order: the findings of the host and fleet rules, as found."""
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
            if sim is not None:
                contexts.append(ctx)
            results.append(
                HostResult(
                    inp.host.name,
                    sim,
                    tuple(findings),
                    inp.host.groups,
                    inp.digest,
                    hardware_label(inp.facts),
                )
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
            results[i] = replace(r, findings=(*r.findings, f))
        return results


#: Values that stand for themselves in a memo key (with their type: 1, 1.0 and True differ).
_ATOMS = frozenset({str, int, float, bool, type(None)})


def _freeze(value: Any) -> Any:
    """A hashable stand-in for a YAML value that tells apart what rules could tell apart."""
    t = type(value)
    if t in _ATOMS:
        return (t, value)
    if isinstance(value, dict):
        return frozenset(
            [(k, (type(v), v) if type(v) in _ATOMS else _freeze(v)) for k, v in value.items()]
        )
    if isinstance(value, (list, tuple)):
        return (t, tuple([(type(v), v) if type(v) in _ATOMS else _freeze(v) for v in value]))
    hash(value)
    return (t, value)


def _facts_key(facts: Mapping[str, Any]) -> Any:
    """The memo key of a host's facts (their JSON text when a value cannot be hashed)."""
    try:
        return _freeze(dict(facts))
    except TypeError:
        return json.dumps(facts, sort_keys=True, default=str)
