"""One run, from paths to results: the function the CLI, the Ansible pre-flight and the tests call.

``run(paths, options)`` reads each path (an inventory, or a boot configuration whose entries
become hosts), collects over SSH what ``--collect`` asks for, resolves every host
(``hostinput.build``), runs the rules (``lint.Linter``) and applies ``postprocess`` to what they
found. ``check(inputs, ...)`` is the part after reading, for hosts that are already resolved.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from memmap_lint.collect.defaults import DEFAULT_JOBS, DEFAULT_MAX_AGE
from memmap_lint.engine.bootlint import boot_inputs, boot_targets, is_boot_path
from memmap_lint.engine.candidates import lint_entries
from memmap_lint.engine.config import Config, find_config, load_config
from memmap_lint.engine.findings import rank
from memmap_lint.engine.hostinput import HostInput
from memmap_lint.engine.inventory_input import collect_inputs
from memmap_lint.engine.lint import Linter
from memmap_lint.engine.options import rule_options
from memmap_lint.engine.override import Override, overridden
from memmap_lint.engine.owned import known_rules, unknown_directives, unknown_values
from memmap_lint.engine.postprocess import grouped, postprocess
from memmap_lint.engine.registry import load_rules, select, superseding
from memmap_lint.engine.results import HostResult
from memmap_lint.errors import LintError, LintErrors
from memmap_lint.inventory.model import Host
from memmap_lint.rule import Rule

if TYPE_CHECKING:
    from memmap_lint.collect.run import Outcome
    from memmap_lint.report.progress import Progress


@dataclass(frozen=True)
class Collection:
    """What to collect over SSH (``--collect``) and how."""

    #: ``never``; ``missing``: the hosts without ``e820`` in the inventory; ``always``: all.
    mode: str = "never"
    jobs: int = DEFAULT_JOBS
    max_age: str = DEFAULT_MAX_AGE
    accept_new: bool = False
    cache_dir: str | None = None
    ssh_config: str = "~/.ssh/config"
    refresh: bool = False


@dataclass(frozen=True)
class Options:
    """What to lint and with which rules (the ``lint`` command's options)."""

    #: What every path is (``inventory`` or a boot config kind); None: detected per path.
    kind: str | None = None
    #: Ansible host pattern selecting the hosts of each inventory.
    hosts: str | None = None
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    rules_dirs: Sequence[str] = ()
    #: The config file; None: found upward from the first path.
    config: str | None = None
    collection: Collection = field(default_factory=Collection)
    #: Built-in rules only (no ``memmap_lint.rules`` entry points).
    entry_points: bool = True
    #: The next boot as the command line gives it (``--kernel``, ``--dialect``, ``--feature``,
    #: ``--e820``): over boot files' own word and the inventory's.
    override: Override = field(default_factory=Override)
    #: The content of the path ``-`` (stdin): a boot config by ``kind`` or content, else an
    #: inventory whose relative paths start from the current directory.
    stdin: bytes | None = None


@dataclass
class Run:
    """What a run found: ``results`` keeps one finding per host or boot entry; ``shown`` is the
    same for display (a finding several entries of one configuration share, once)."""

    rules: list[Rule]
    config: Config
    results: list[HostResult] = field(default_factory=list)
    shown: list[HostResult] = field(default_factory=list)
    errors: list[LintError] = field(default_factory=list)
    #: ``--collect`` was asked and, in every inventory, not one selected host could be reached.
    unreachable: bool = False
    #: every path was a boot configuration (no inventory)
    boot_only: bool = False

    def worst(self) -> int:
        """The rank of the worst finding (0: none)."""
        return max((rank(f.severity) for r in self.results for f in r.findings), default=0)


def rules_and_config(paths: Sequence[str], options: Options) -> tuple[list[Rule], Config]:
    """The config file that applies (``options.config``, else found upward from the first path),
    and the rules it and ``options`` select."""
    _every, rules, config = _configured(paths, options)
    return rules, config


def _configured(paths: Sequence[str], options: Options) -> tuple[list[Rule], list[Rule], Config]:
    """Every rule loaded, the selected ones, and the config."""
    config_path = Path(options.config) if options.config else find_config(Path(paths[0]))
    config = load_config(config_path) if config_path else Config()
    every = load_rules(options.rules_dirs, options.entry_points)
    rule_options(every, config.rules, config.path)  # a setting no rule takes is an error
    rules = select(
        every,
        list(options.select) or list(config.select),
        [*options.ignore, *config.ignore],
    )
    return every, rules, config


def make_linter(paths: Sequence[str], options: Options) -> Linter:
    """The rule runner of a run: the selected rules, and the deselected ones that supersede a
    selected one (``registry.superseding``: run for their precedence, unreported)."""
    every, rules, config = _configured(paths, options)
    extra = superseding(every, rules)
    return Linter([*rules, *extra], config, hidden=frozenset(r.code for r in extra))


def check(
    linter: Linter, inputs: Sequence[HostInput], progress: Progress | None = None
) -> list[HostResult]:
    """Resolved hosts through the rules and ``postprocess``: one result per input, in order."""
    found = lint_entries(linter, inputs, progress)
    return postprocess(inputs, found, linter.rules, linter.config, linter.hidden)


def run(
    paths: Sequence[str],
    options: Options,
    progress: Progress | None = None,
    linter: Linter | None = None,
) -> Run:
    """Lint ``paths``; a path that cannot be read is an error of the run, not an exception.

    ``linter``: one already made from ``options`` (``make_linter``), to share its caches.
    """
    if linter is None:
        linter = make_linter(paths, options)
    rules = [r for r in linter.rules if r.code not in linter.hidden]
    config = linter.config
    out = Run(rules, config)
    overlay = None
    if options.stdin is not None:
        overlay = {"-": options.stdin.decode("utf-8", "surrogateescape")}
    boot_paths = [
        p
        for p in paths
        if is_boot_path(p, options.kind, overlay["-"] if overlay and p == "-" else None)
    ]
    out.boot_only = len(boot_paths) == len(paths)
    targets = boot_targets(boot_paths, options.kind)
    linted = {Path(label).resolve() for label, _kind in targets}
    for label, kind in targets:
        try:
            inputs = boot_inputs(
                Path(label),
                label,
                kind,
                config,
                linter.captures,
                linted,
                None,
                options.override,
                overlay,
            )
        except LintError as exc:
            out.errors.append(exc.located(label))
            continue
        out.errors.extend(unknown_directives(inputs, linter.rules))
        results = check(linter, inputs)
        out.results.extend(results)
        out.shown.extend(grouped(inputs, results))
    unreachable: list[bool] = []
    for path in paths:
        if path in boot_paths:
            continue
        from memmap_lint.inventory.load import load_inventory  # a boot lint needs no yaml
        from memmap_lint.inventory.select import select_hosts

        if progress is not None:
            progress.stage(f"reading {path}", None)
        try:
            inventory = load_inventory(path, progress, options.stdin if path == "-" else None)
        except LintErrors as exc:
            out.errors.extend(exc.errors)
            continue
        except LintError as exc:
            out.errors.append(exc)
            continue
        hosts = select_hosts(inventory, options.hosts)
        collected: dict[str, Outcome] | None = None
        how = options.collection
        if how.mode != "never":
            wanted = [h for h in hosts if how.mode == "always" or h.get("e820") is None]
            collected, bad = collect(inventory.path, wanted, how) if wanted else ({}, [])
            out.errors.extend(bad)
            unreachable.append(every_host_unreachable(hosts, collected))
        if progress is not None:
            progress.stage("resolving hosts", len(hosts))
        inputs, bad = collect_inputs(inventory, hosts, linter.captures, collected, progress)
        out.errors.extend(bad)
        if (
            collected is None
            and inputs
            and not bad
            and not any(map(has_something_to_check, inputs))
        ):
            out.errors.append(nothing_to_check(inventory.path, len(inputs)))
            continue
        out.errors.extend(unknown_values(hosts, known_rules(linter.rules)))
        out.errors.extend(unknown_directives(inputs, linter.rules))
        try:
            inputs = overridden(inputs, options.override)
        except LintError as exc:
            out.errors.append(exc)
            continue
        if progress is not None:
            progress.stage("linting", len(inputs))
        results = check(linter, inputs, progress)
        out.results.extend(results)
        out.shown.extend(results)
    out.unreachable = bool(unreachable) and all(unreachable)
    return out


def collect(
    inventory_path: str, hosts: Sequence[Host], how: Collection
) -> tuple[dict[str, Outcome], list[LintError]]:
    """Each host's collection outcome, through the cache beside the inventory (or
    ``how.cache_dir``); a host whose SSH settings are unusable is an error instead."""
    from memmap_lint.collect.run import (
        collect_hosts,
        default_cache_dir,
        open_cache,
        parse_duration,
        targets_for,
    )
    from memmap_lint.collect.ssh import progress_printer
    from memmap_lint.collect.target import CollectOptions

    max_age = parse_duration(how.max_age)
    if how.jobs < 1:
        raise LintError("MM001", f"--jobs must be at least 1, not {how.jobs}")
    options = CollectOptions(jobs=how.jobs, accept_new=how.accept_new, ssh_config=how.ssh_config)
    directory = Path(how.cache_dir) if how.cache_dir else default_cache_dir(inventory_path)
    targets, errors = targets_for(hosts, how.ssh_config)
    cache = open_cache(directory)
    outcomes = collect_hosts(
        targets, options, cache, max_age, how.refresh, progress_printer(sys.stderr)
    )
    return outcomes, errors


def every_host_unreachable(hosts: Sequence[Host], outcomes: dict[str, Outcome]) -> bool:
    """True when hosts were selected and not one of them could be collected."""
    return bool(hosts) and all(
        (o := outcomes.get(h.name)) is not None and o.failure is not None for h in hosts
    )


def has_something_to_check(inp: HostInput) -> bool:
    """Whether a host brings a command line, a boot file or a memory map for the rules."""
    return bool(inp.cmdline.text.strip()) or inp.capture is not None or inp.boot is not None


def nothing_to_check(path: str, hosts: int) -> LintError:
    """The error for an inventory whose hosts bring nothing to check (never "clean")."""
    return LintError(
        "MM604",
        f"nothing to check: none of its {hosts} host(s) has a kernel_cmdline, boot_files or an"
        " e820 capture (is this an inventory?)",
        path,
    )
