"""Running rules over hosts and the fleet; host-rule results are memoized by content."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from memmap_lint.engine.findings import Finding, Location
from memmap_lint.engine.options import rule_options
from memmap_lint.rule import FleetContext, Hit, HostContext, Rule


@dataclass
class Engine:
    """Applies ``rules``; ``severity`` overrides a rule's default severity by code; ``options``
    holds rule option values by code (``engine.options.rule_options``; default: the defaults)."""

    rules: Sequence[Rule]
    severity: dict[str, str] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    _memo: dict[tuple[Any, ...], tuple[tuple[Rule, Hit], ...]] = field(default_factory=dict)
    checks_run: int = 0

    def __post_init__(self) -> None:
        self.options = {**rule_options(self.rules, {}), **self.options}

    def _host_hits(
        self, ctx: HostContext, key: tuple[Any, ...] | None
    ) -> tuple[tuple[Rule, Hit], ...]:
        if key is not None and key in self._memo:
            return self._memo[key]
        self.checks_run += 1
        hits: list[tuple[Rule, Hit]] = []
        for rule in self.rules:
            if rule.scope != "host" or (rule.needs_e820 and ctx.sim is None):
                continue
            own = self.options.get(rule.code)
            hits.extend(
                (rule, hit) for hit in rule.check(replace(ctx, options=own) if own else ctx)
            )
        result = tuple(hits)
        if key is not None:
            self._memo[key] = result
        return result

    def check_host(self, ctx: HostContext, key: tuple[Any, ...] | None = None) -> list[Finding]:
        """Findings of the host rules; ``key`` identifies the content (None: no memoization)."""
        return [
            self._finding(rule, hit, ctx.host, ctx.locate)
            for rule, hit in self._host_hits(ctx, key)
        ]

    def check_fleet(
        self, fleet: FleetContext, locate: Callable[[str, int | None], Location | None]
    ) -> list[Finding]:
        """Findings of the fleet rules; ``locate(host, offset)`` places them."""
        out: list[Finding] = []
        for rule in self.rules:
            if rule.scope != "fleet":
                continue
            own = self.options.get(rule.code)
            for hit in rule.check(replace(fleet, options=own) if own else fleet):
                host = hit.host or ""

                def at(offset: int | None, host: str = host) -> Location | None:
                    return locate(host, offset)

                out.append(self._finding(rule, hit, host, at))
        return out

    def _finding(
        self, rule: Rule, hit: Hit, host: str, locate: Callable[[int | None], Location | None]
    ) -> Finding:
        offset = hit.offset if hit.offset is not None else (hit.param.start if hit.param else None)
        location = locate(offset)
        severity = self.severity.get(rule.code) or hit.severity or rule.severity
        return Finding(
            code=rule.code,
            name=rule.name,
            severity=severity,
            host=host,
            message=hit.message,
            param=hit.shown(),
            location=location,
        )
