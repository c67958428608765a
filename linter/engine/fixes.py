"""``lint --diff`` / ``--fix`` on boot files: the fixes each configuration gets (the I/O edge).

Each boot path goes through the file that reads it (a drop-in through its ``default/grub``), every
entry with the kernel the lint would give it, into :func:`memmap_lint.fix.plan`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from memmap_lint.engine.bootlint import boot_inputs, owner
from memmap_lint.engine.lint import Linter
from memmap_lint.engine.override import Override
from memmap_lint.engine.suppress import suppressed_codes
from memmap_lint.errors import LintError
from memmap_lint.fileio import write_file
from memmap_lint.fix import SAFE, Fix, Outcome, Target, plan, unified_diff
from memmap_lint.fix.plan import fixes, merged
from memmap_lint.fix.suggest import suggestion


@dataclass(frozen=True)
class Planned:
    """The fixes for one boot configuration read from ``path``."""

    path: str
    outcome: Outcome


#: Boot config kinds no fix edits: a tool's report (grubby --info) and signed binaries (UKIs).
NOT_EDITED = frozenset({"grubby", "uki"})


def plan_paths(
    linter: Linter,
    paths: Sequence[str],
    kind: str | None,
    unsafe: bool,
    advised: str | None = None,
    override: Override | None = None,
) -> tuple[list[Planned], list[LintError]]:
    """The fixes of every boot configuration named (each configuration once); with ``advised``
    (advise's line) only the change that puts it in place of the entries' requests. ``grubby
    --info`` text (a report) and UKIs (signed images) are not edited: their sources are."""
    seen: set[Path] = set()
    out: list[Planned] = []
    errors: list[LintError] = []
    for path in paths:
        main, k = owner(Path(path), kind)
        if main.resolve() in seen:
            continue
        seen.add(main.resolve())
        try:
            inputs = boot_inputs(
                main, str(main), k, linter.config, linter.captures, seen, None, override
            )
        except LintError as exc:
            errors.append(exc.located(str(main)))
            continue
        targets = [
            Target(i, inp.boot, inp.kernel)
            for i, inp in enumerate(inputs)
            if inp.boot is not None and inp.boot.config.kind not in NOT_EDITED
        ]
        if advised is not None:
            candidates = merged(piece for t in targets for piece in suggestion(t, advised))
        else:
            sources = targets[0].view.sources if targets else {}
            candidates = [f for f in fixes(targets) if _wanted(f, linter, sources)]
        out.append(Planned(str(main), plan(str(main), k, targets, unsafe, candidates)))
    return out, errors


def _wanted(fix: Fix, linter: Linter, sources: Mapping[str, str]) -> bool:
    """A fix of a selected rule (``--select``/``--ignore``, config), not silenced by a
    ``# memmap-lint: disable=`` on a line it edits or the line before, as ruff does."""
    rule = next((r for r in linter.rules if r.code == fix.code), None)
    if rule is None or rule.code in linter.hidden:
        return False
    for e in fix.edits:
        lines = sources.get(e.path, "").split("\n")
        n = sources.get(e.path, "").count("\n", 0, e.start)
        codes = set().union(
            *(suppressed_codes(lines[i]) for i in (n - 1, n) if 0 <= i < len(lines))
        )
        if codes & {rule.code, rule.name, "all"}:
            return False
    return True


def diff(planned: Sequence[Planned]) -> Iterator[str]:
    """A unified diff of every file the fixes change."""
    for p in planned:
        for path, after in p.outcome.after.items():
            yield unified_diff(path, p.outcome.before[path], after)


def write(planned: Sequence[Planned]) -> None:
    """Write every changed file atomically (mode and owner kept; bytes that were not UTF-8
    written back as they were read)."""
    for p in planned:
        for path, after in p.outcome.after.items():
            write_file(path, [after.encode("utf-8", "surrogateescape")])


def _where(f: Fix) -> str:
    """The file(s) a fix edits (a drop-in, a grubenv: not always the file linted)."""
    return ", ".join(sorted({e.path for e in f.edits}))


def summary(planned: Sequence[Planned], unsafe: bool, wrote: bool) -> Iterator[str]:
    """One line per fix applied (or that would be), and how many were left out and why."""
    verb = "fixed" if wrote else "would fix"
    hidden = 0
    for p in planned:
        lines = Counter(
            f"{_where(f)}: {verb} {f.code}{'' if f.applicability == SAFE else ' (unsafe)'}: "
            f"{f.title}"
            for f in p.outcome.applied
        )
        for line, n in lines.items():
            yield f"{line}{f' ({n} places)' if n > 1 else ''}\n"
        for f in p.outcome.left:
            if f.applicability != SAFE and not unsafe:
                hidden += 1
            elif f in p.outcome.overlapping:
                yield f"{_where(f)}: next round {f.code}: {f.title} (it edits what a fix above does)\n"
            else:
                yield (
                    f"{_where(f)}: not fixed {f.code}: {f.title} (the edited file would not "
                    "read back as intended)\n"
                )
    if hidden:
        yield f"{hidden} more fix(es) available with --unsafe-fixes\n"
