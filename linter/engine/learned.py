"""Addresses learned from ``verify``'s evidence: where a host's running kernel really put its
``reserve_mem=`` regions, kept with the host's collected facts (no other store)."""

from __future__ import annotations

from memmap_lint.collect.facts import HostFacts
from memmap_lint.engine.observed import observed_regions
from memmap_lint.kernel import names as N
from memmap_lint.kernel import params as P
from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.earlyboot import Learned


def learned_addresses(facts: HostFacts, host: str) -> tuple[Learned, ...]:
    """Each reserve_mem region of the running boot whose start the host showed (ramoops
    ``mem_address``, a trace instance mapped there), with the requests that led to it."""
    if facts.postboot is None:
        return ()
    cmdline = parse(facts.proc_cmdline)
    seen, _ = observed_regions(facts.postboot, cmdline)
    out: list[Learned] = []
    asked: list[tuple[int, int]] = []
    for p in N.reserve_mem_params(cmdline):
        spec = P.read_reserve_mem(p, p.value)
        size = spec.size.value if spec.size else 0
        asked.append((size, spec.effective_align))
        got = seen.get(spec.name or "")
        if got is None or got["start"] is None or got["size"] not in (None, size):
            continue
        out.append(
            Learned(tuple(asked), got["start"], facts.kernel_release, host, facts.collected_at)
        )
    return tuple(out)
