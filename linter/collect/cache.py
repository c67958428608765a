"""The collection cache: one JSON file per host, replaced atomically, reused while fresh.

A file holds the last successful facts (kept when a later attempt fails), the last attempt
(when, from which address, ok or the failure) and what changed at the last success (kernel,
firmware map, BIOS: for MM603). Writes go to a temporary file in the same directory, are
fsynced and renamed over the old file, so a reader sees the old or the new file, never a mix.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from memmap_lint.collect.facts import CollectFailure, HostFacts
from memmap_lint.fileio import TEMPORARY_GLOB, write_file

CACHE_SCHEMA = "memmap-lint/cache/v1"


@dataclass(frozen=True)
class CacheEntry:
    """What the cache knows about one host."""

    host: str
    attempted_at: float
    address: str | None
    result: HostFacts | CollectFailure
    facts: HostFacts | None
    facts_at: float | None
    changes: tuple[str, ...] = ()

    def age(self, now: float | None = None) -> float | None:
        """Seconds since the facts were collected (None without facts)."""
        if self.facts_at is None:
            return None
        return (time.time() if now is None else now) - self.facts_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": CACHE_SCHEMA,
            "host": self.host,
            "attempted_at": self.attempted_at,
            "address": self.address,
            "ok": isinstance(self.result, HostFacts),
            "failure": self.result.to_dict() if isinstance(self.result, CollectFailure) else None,
            "facts": self.facts.to_dict() if self.facts is not None else None,
            "facts_at": self.facts_at,
            "changes": list(self.changes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CacheEntry:
        if data.get("schema") != CACHE_SCHEMA:
            raise ValueError("not a memmap-lint cache entry")
        facts = HostFacts.from_dict(data["facts"]) if data["facts"] is not None else None
        if data["ok"]:
            if facts is None:
                raise ValueError("an ok entry without facts")
            result: HostFacts | CollectFailure = facts
        else:
            result = CollectFailure.from_dict(data["failure"])
        return cls(
            host=str(data["host"]),
            attempted_at=float(data["attempted_at"]),
            address=data["address"],
            result=result,
            facts=facts,
            facts_at=None if data["facts_at"] is None else float(data["facts_at"]),
            changes=tuple(str(c) for c in data["changes"]),
        )


def changes_between(before: HostFacts, after: HostFacts) -> tuple[str, ...]:
    """What changed from one collection to the next that invalidates a capture (MM603)."""
    out: list[str] = []
    if before.kernel_release != after.kernel_release:
        out.append(f"running kernel {before.kernel_release} -> {after.kernel_release}")
    if before.next_kernel != after.next_kernel:
        out.append(f"next kernel {before.next_kernel} -> {after.next_kernel}")
    if (before.memmap, before.e820_text) != (after.memmap, after.e820_text):
        out.append("firmware memory map changed")
    if before.bios_version != after.bios_version:
        out.append(f"BIOS version {before.bios_version} -> {after.bios_version}")
    if before.dmi_product != after.dmi_product:
        out.append(f"DMI product {before.dmi_product} -> {after.dmi_product}")
    return tuple(out)


def _facts_time(facts: HostFacts) -> float:
    try:
        stamp = datetime.fromisoformat(facts.collected_at.replace("Z", "+00:00"))
    except ValueError:
        return time.time()
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()


class Cache:
    """A directory of per-host cache files."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def path_for(self, host: str) -> Path:
        """The file of ``host``: its name percent-encoded so any inventory name is safe."""
        return self.directory / (quote(host, safe="") + ".json")

    def load(self, host: str) -> CacheEntry | None:
        """The entry of ``host``; None when absent or unreadable (it is then collected again)."""
        try:
            data = json.loads(self.path_for(host).read_text("utf-8"))
            entry = CacheEntry.from_dict(data)
        except FileNotFoundError:
            return None
        except Exception:  # a damaged or foreign file: treated as no entry
            return None
        return entry if entry.host == host else None

    def fresh(self, host: str, max_age: float, now: float | None = None) -> HostFacts | None:
        """The cached facts of ``host`` when younger than ``max_age`` seconds."""
        entry = self.load(host)
        if entry is None or entry.facts is None:
            return None
        age = entry.age(now)
        return entry.facts if age is not None and 0 <= age <= max_age else None

    def record(
        self, host: str, result: HostFacts | CollectFailure, now: float | None = None
    ) -> CacheEntry:
        """Store one collection result; a failure keeps the previous facts."""
        when = time.time() if now is None else now
        previous = self.load(host)
        if isinstance(result, HostFacts):
            changes = changes_between(previous.facts, result) if previous and previous.facts else ()
            entry = CacheEntry(
                host, when, result.address, result, result, _facts_time(result), changes
            )
        else:
            entry = CacheEntry(
                host,
                when,
                result.address,
                result,
                previous.facts if previous else None,
                previous.facts_at if previous else None,
                previous.changes if previous else (),
            )
        self.write(entry)
        return entry

    def write(self, entry: CacheEntry) -> None:
        """Replace the host's file atomically (mode 0600; a symlink there is replaced, never
        followed)."""
        data = json.dumps(entry.to_dict(), sort_keys=True, indent=1).encode("utf-8")
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_file(self.path_for(entry.host), [data], mode=0o600, follow=False)

    def clean_temporaries(self, older_than: float = 3600.0) -> int:
        """Remove temporary files a killed writer left behind; returns how many."""
        removed = 0
        cutoff = time.time() - older_than
        for path in self.directory.glob(TEMPORARY_GLOB):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed
