"""A host's collection outcome merged into what it brings from the inventory (pure).

What the inventory says wins where it speaks: ``kernel_cmdline`` (or ``boot_files``) is the
command line a rollout is about to install, ``kernel``/``dialect`` the kernel it is about to boot.
Where it is silent the collected facts answer (``collected.view_of``). The firmware map always
comes from the host when it was collected: it is what the machine reports now.

Facts added for the rules: ``collect_failure`` (MM601: cause, message, address, attempts, and
what was ``used`` instead: ``cache``, ``inventory`` or ``none``) and
``capture.stale`` (MM603: reasons the map in use may not be the host's map now) besides the ones
``view_of`` sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from memmap_lint.collect.run import Outcome
from memmap_lint.engine.collected import view_of
from memmap_lint.engine.hostinput import Sources
from memmap_lint.engine.learned import learned_addresses
from memmap_lint.errors import LintError
from memmap_lint.kernel.earlyboot import Learned

INVENTORY_CMDLINE_VARS = ("kernel_cmdline", "boot_files")
INVENTORY_KERNEL_VARS = ("kernel", "dialect")


def human_age(seconds: float) -> str:
    """``40 minutes``, ``5 hours``, ``3 days``."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{int(seconds)} seconds"


def fleet_learned(
    collected: Mapping[str, Outcome], now: datetime
) -> dict[str, tuple[Learned, ...]]:
    """The learned reserve_mem addresses of every collected host, by hardware profile (firmware
    map digest): only hosts whose facts show one are parsed again."""
    found: dict[str, list[Learned]] = {}
    for name, outcome in collected.items():
        learned = learned_addresses(outcome.facts, name) if outcome.facts else ()
        if not learned or outcome.facts is None:
            continue
        try:
            digest = view_of(outcome.facts, str(outcome.cache_file), now).digest
        except LintError:
            continue
        if digest is not None:
            found.setdefault(digest, []).extend(learned)
    return {k: tuple(v) for k, v in found.items()}


def with_collected(
    inp: Sources,
    outcome: Outcome,
    now: datetime,
    learned: Mapping[str, tuple[Learned, ...]] | None = None,
) -> Sources:
    """``inp`` with the host's collected map, command line, kernel and facts; ``learned``
    (:func:`fleet_learned`) adds what other hosts of its profile showed, after its own."""
    host = inp.host
    facts: dict[str, Any] = dict(inp.facts)
    failure = outcome.failure
    if failure is not None:
        # What the host was linted with instead: MM601 says so.
        used = "cache" if outcome.facts is not None else "inventory" if inp.capture else "none"
        facts["collect_failure"] = {**failure.to_dict(), "used": used}
    if outcome.facts is None:
        return replace(inp, facts=facts)
    try:
        view = view_of(outcome.facts, str(outcome.cache_file), now)
    except LintError as exc:
        raise LintError(
            exc.code,
            f"host {host.name}: the firmware map collected from {outcome.facts.address} "
            f"is unusable: {exc.message}",
            host.pos.path,
            host.pos.line,
            host.pos.column,
        ) from exc
    collected = dict(view.facts)
    if failure is not None:
        collected.pop("current_kernel", None)  # what ran then, not what runs now
    stale: list[str] = []
    capture, digest = inp.capture, inp.digest
    if view.capture is not None:
        if inp.capture is not None and inp.digest != view.digest:
            stale.append(
                f"the inventory's capture {inp.capture.source} differs from the firmware map "
                f"the host reported at {outcome.facts.collected_at}; the collected map is used"
            )
        capture, digest = view.capture, view.digest
        own = learned_addresses(outcome.facts, host.name)
        others = (learned or {}).get(view.digest or "", ())
        capture = replace(capture, learned=own + tuple(x for x in others if x.host != host.name))
    elif inp.capture is not None:
        collected.pop("profile", None)
    if failure is not None and outcome.age is not None and outcome.age > outcome.max_age:
        stale.append(
            f"collection failed ({failure.cause}), so the map is the one cached at "
            f"{outcome.facts.collected_at}, {human_age(outcome.age)} old "
            f"(--max-age is {human_age(outcome.max_age)})"
        )
    if "capture" in collected:
        collected["capture"] = {**collected["capture"], "changes": list(outcome.changes)}
        if stale:
            collected["capture"]["stale"] = stale
    elif stale and isinstance(facts.get("capture"), dict):
        facts["capture"] = {**facts["capture"], "stale": stale}
    if isinstance(facts.get("hardware"), dict) and "hardware" in collected:
        collected.pop("hardware")  # the inventory's declaration stays what rules compare
    facts.update(collected)
    text, locate = inp.text, inp.locate
    if not any(v in host.vars for v in INVENTORY_CMDLINE_VARS):
        text = view.boot.text
        locate = view.locate(host.name, inp.locate)
        facts["cmdline_source"] = view.boot.source
    release, dialect = inp.release, inp.dialect
    if not any(v in host.vars for v in INVENTORY_KERNEL_VARS):
        release, dialect = view.next_kernel, None
        facts["kernel_source"] = view.kernel_source
    return replace(
        inp, text=text, locate=locate, release=release, dialect=dialect, capture=capture,
        digest=digest, facts=facts,
    )  # fmt: skip
