"""What a host rule sees of a boot configuration: the file set, this host's entry, the texts.

A boot file is linted one boot entry at a time: each entry is a host whose command line is the
one the kernel receives from that entry. The MM5xx rules also need the whole configuration (other
entries, variable history, parser diagnostics, the files' text), which :class:`BootView` carries
on ``HostContext.boot``. Positions that are not characters of the command line (a diagnostic, an
assignment) get *anchor* offsets past the end of the command line, which the host's locator maps
back to file:line:col (:meth:`BootView.offset_of`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from memmap_lint.bootconfig.model import BootConfig, BootEntry, Origin


@dataclass(frozen=True)
class BootView:
    """One boot entry of a configuration, with everything the boot-config rules need.

    ``sources``: the text of every file read (path -> text). ``primary``: this entry reports the
    findings about the configuration as a whole (the default entry, else the first), so that they
    appear once. ``companion``: for a grub.cfg, the /etc/default/grub it should have been
    generated from (or the reverse), when one was found (MM503).
    """

    config: BootConfig
    entry: BootEntry
    sources: Mapping[str, str] = field(default_factory=dict)
    primary: bool = True
    companion: BootConfig | None = None

    def key(self) -> tuple[Any, ...]:
        """Identity for memoizing rule results."""
        return (
            self.config.kind,
            self.config.paths,
            self.entry.title,
            self.entry.id,
            self.entry.cmdline,
            self.entry.origins,
            self.entry.dropped,
            self.primary,
            self.companion.paths if self.companion else None,
        )

    def anchors(self) -> tuple[Origin, ...]:
        """File positions that rules may point at besides command-line characters."""
        return self._anchors

    @cached_property
    def _anchors(self) -> tuple[Origin, ...]:
        out: list[Origin] = [d.origin for d in self.config.diagnostics]
        if self.entry.dropped_at is not None:
            out.append(self.entry.dropped_at)
        for config in (self.config, self.companion):
            if config is None:
                continue
            for a in config.variables.values():
                out.extend(h.origin for h in a.history())
        return tuple(out)

    def offset_of(self, origin: Origin) -> int:
        """An offset that this host's locator maps to ``origin`` (past the command line's end)."""
        index = self._anchor_index.get(origin, len(self._anchors))
        return len(self.entry.cmdline) + index

    @cached_property
    def _anchor_index(self) -> dict[Origin, int]:
        """Each anchor's first index (one pass, so a rule's many findings stay linear)."""
        index: dict[Origin, int] = {}
        for i, origin in enumerate(self._anchors):
            index.setdefault(origin, i)
        return index

    def origin_of(self, offset: int | None) -> Origin | None:
        """Where ``offset`` points: a command-line character, an anchor, or the entry itself."""
        n = len(self.entry.cmdline)
        if offset is not None and offset < n:
            found = self.entry.origin_at(offset)
            if found is not None:
                return found
        if offset is not None and offset >= n:
            anchors = self.anchors()
            if offset - n < len(anchors):
                return anchors[offset - n]
        return next((o for _s, _e, o in self.entry.origins), None)
