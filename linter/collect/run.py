"""Collecting an inventory's hosts for the CLI: targets, the cache directory, and each host's
outcome (this run's result and the facts to lint with).

The cache lives in ``.memmap-lint-cache/`` beside the inventory (``--cache-dir`` moves it); the
directory gets a ``.gitignore`` holding ``*`` and a ``CACHEDIR.TAG``, as pytest and ruff do for
theirs, so it never ends up in a commit or a backup. A host whose facts are younger than
``max_age`` is not contacted; a host whose collection fails keeps its last good facts (older
than ``max_age``: MM603 says so) beside the failure (MM601).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from memmap_lint.collect.cache import Cache
from memmap_lint.collect.defaults import CACHE_DIR_NAME
from memmap_lint.collect.facts import CollectFailure, HostFacts
from memmap_lint.collect.ssh import Progress, collect_cached
from memmap_lint.collect.target import CollectOptions, SSHTarget, load_ssh_config, resolve_target
from memmap_lint.errors import LintError
from memmap_lint.fileio import write_file
from memmap_lint.inventory.model import Host

CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by memmap-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw]?)")


def parse_duration(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``30m``, ``12h``, ``7d`` or ``2w``; MM001 otherwise."""
    m = _DURATION.fullmatch(text.strip())
    if m is None:
        raise LintError(
            "MM001", f"--max-age {text!r}: expected a number with s, m, h, d or w (e.g. 12h)"
        )
    return float(m[1]) * _UNITS[m[2] or "s"]


def default_cache_dir(inventory: str | Path) -> Path:
    """``.memmap-lint-cache`` beside an inventory file, or inside an inventory directory."""
    path = Path(inventory)
    return (path if path.is_dir() else path.parent) / CACHE_DIR_NAME


def open_cache(directory: Path) -> Cache:
    """The cache in ``directory`` (0700; a symbolic link there is refused, never followed),
    created with its .gitignore and CACHEDIR.TAG if new."""
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
        st = directory.lstat()
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            raise LintError(
                "MM601", "the cache path is not a directory (a symbolic link is refused)",
                str(directory),
            )  # fmt: skip
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) != 0o700:
            os.chmod(directory, 0o700)
        for name, text in (
            (".gitignore", "# created by memmap-lint\n*\n"),
            ("CACHEDIR.TAG", CACHEDIR_TAG),
        ):
            marker = directory / name
            if not os.path.lexists(marker):
                write_file(marker, [text], mode=0o600, follow=False)
    except OSError as exc:
        raise LintError(
            "MM601", f"cannot create the cache directory: {exc.strerror}", str(directory)
        ) from None
    cache = Cache(directory)
    cache.clean_temporaries()  # what a killed writer left behind
    return cache


def quiet_paramiko() -> None:
    """Keep paramiko's own log records (tracebacks of failed handshakes) away from the user."""
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)


def targets_for(
    hosts: Sequence[Host], ssh_config: str | None
) -> tuple[list[SSHTarget], list[LintError]]:
    """Each host's SSH target; a host whose SSH variables are unusable is an error at its line."""
    config = load_ssh_config(ssh_config)
    targets: list[SSHTarget] = []
    errors: list[LintError] = []
    for host in hosts:
        try:
            targets.append(
                resolve_target(host.name, {k: d.value for k, d in host.vars.items()}, config)
            )
        except LintError as exc:
            errors.append(
                LintError(exc.code, exc.message, host.pos.path, host.pos.line, host.pos.column)
            )
    return targets, errors


@dataclass(frozen=True)
class Outcome:
    """One host after collection.

    ``result`` is this run's answer (facts collected now or fresh from the cache, or why the
    host could not be collected); ``facts`` the facts to lint with: the result's, or after a
    failure the last good ones from the cache (None when there are none); ``age`` their age in
    seconds; ``via`` where the result came from; ``changes`` what changed at the last
    successful collection (``cache.changes_between``).
    """

    host: str
    result: HostFacts | CollectFailure
    facts: HostFacts | None
    age: float | None
    via: Literal["ssh", "cache"]
    changes: tuple[str, ...]
    cache_file: Path
    max_age: float

    @property
    def failure(self) -> CollectFailure | None:
        return self.result if isinstance(self.result, CollectFailure) else None


def collect_hosts(
    targets: Sequence[SSHTarget],
    options: CollectOptions,
    cache: Cache,
    max_age: float,
    refresh: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> dict[str, Outcome]:
    """Collect ``targets`` through ``cache``; one Outcome per target name, in order."""
    quiet_paramiko()
    from_cache = {
        t.name for t in targets if not refresh and cache.fresh(t.name, max_age) is not None
    }
    results = collect_cached(targets, options, cache, max_age, refresh, progress)
    now = time.time()
    out: dict[str, Outcome] = {}
    for name, result in results.items():
        entry = cache.load(name)
        facts = result if isinstance(result, HostFacts) else (entry.facts if entry else None)
        out[name] = Outcome(
            host=name,
            result=result,
            facts=facts,
            age=entry.age(now) if entry is not None and facts is not None else None,
            via="cache" if name in from_cache else "ssh",
            changes=entry.changes if entry is not None else (),
            cache_file=cache.path_for(name),
            max_age=max_age,
        )
    return out
