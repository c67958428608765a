"""What linting takes from collected ``HostFacts``: pure conversions, no I/O.

* the firmware map as a :class:`Capture` (the sysfs entries, else the kernel log's e820 lines);
* the command line of the NEXT boot: the default entry of the collected boot files, read by
  ``memmap_lint.bootconfig`` as GRUB reads them (grub.cfg with its grubenv, the BLS entries a
  ``blscfg`` grub.cfg loads, else BLS entries alone, else ``/etc/kernel/cmdline``), and only
  when none of them names a default entry, the running kernel's ``/proc/cmdline``;
* the release that boots next (the default entry's ``vmlinuz-RELEASE``, else the collector's
  ``next_kernel``, else the running release);
* the host facts rules read: ``hardware``, ``capture``, ``current_kernel``, ``boot_image``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from memmap_lint.bootconfig import BootEntry, Context, grubenv_values, parse_boot_text
from memmap_lint.bootconfig.base import Source
from memmap_lint.bootconfig.loader import frontend
from memmap_lint.captures.image import iomem_image
from memmap_lint.captures.parse import Capture, capture_digest, parse_capture
from memmap_lint.collect.facts import FirmwareEntry, HostFacts
from memmap_lint.engine.findings import Location
from memmap_lint.errors import LintError

__all__ = [
    "CAUSE_WORDS",
    "BootCmdline",
    "CollectedView",
    "age_days",
    "boot_cmdline",
    "facts_capture",
    "memmap_text",
    "view_of",
]

_GRUB_DIRS = ("/boot/grub", "/boot/grub2")
_BLS_DIRS = ("/boot/loader/entries/", "/boot/efi/loader/entries/", "/efi/loader/entries/")
_BOOT_IMAGE = re.compile(r"(?:^|\s)BOOT_IMAGE=(\S*)")
_VMLINUZ = re.compile(r"vmlinuz-([^\s/]+)$")
PROC_CMDLINE = "/proc/cmdline"

#: Each collection failure cause (``ssh_facts.FailureCause``) in words, for MM601.
CAUSE_WORDS = {
    "refused": "connection refused",
    "timeout": "timed out",
    "unreachable": "unreachable",
    "not-ssh": "not an SSH server",
    "closed": "connection closed",
    "auth": "authentication failed",
    "hostkey-unknown": "unknown host key",
    "hostkey-changed": "host key changed",
    "permission": "permission denied",
    "output-too-large": "output too large",
    "garbage": "garbage output",
    "command-failed": "command failed",
    "config": "bad SSH settings",
    "error": "collection error",
}


def memmap_text(entries: tuple[FirmwareEntry, ...]) -> str:
    """The entries as ``grep . /sys/firmware/memmap/*/*`` prints them."""
    lines: list[str] = []
    for e in entries:
        base = f"/sys/firmware/memmap/{e.index}"
        lines += [f"{base}/end:{e.end:#x}", f"{base}/start:{e.start:#x}", f"{base}/type:{e.type}"]
    return "\n".join(lines) + "\n"


def facts_capture(facts: HostFacts, source: str) -> Capture | None:
    """The firmware map collected from the host (None when it sent none); MM602 on a bad map."""
    if facts.memmap:
        return parse_capture(memmap_text(facts.memmap), source)
    if facts.e820_text.strip():
        return parse_capture(facts.e820_text, source)
    return None


def with_running_kernel(capture: Capture, facts: HostFacts) -> Capture:
    """``capture`` with what the host says of its machine and running kernel: the possible CPUs,
    the image extent (post-boot ``/proc/iomem``), the release they belong to."""
    iomem = facts.postboot.iomem if facts.postboot is not None else None
    image = iomem_image(iomem) if iomem else None
    return replace(
        capture,
        cpus=facts.cpus or capture.cpus,
        image=image or capture.image,
        release=facts.kernel_release or capture.release,
    )


@dataclass(frozen=True)
class BootCmdline:
    """The command line the next boot gets, and where it was read.

    ``source`` says it in words (``grub.cfg default entry 'Debian GNU/Linux'``, ``/proc/cmdline
    (the running kernel's: no boot entry found)``); ``path`` is the remote file and ``entry`` the
    boot entry it came from (None for /proc/cmdline).
    """

    text: str
    source: str
    path: str
    entry: BootEntry | None = None

    @property
    def boot_image(self) -> str | None:
        """The ``BOOT_IMAGE=`` value GRUB put first on the line, if any."""
        m = _BOOT_IMAGE.search(self.text)
        return m[1] if m else None

    @property
    def kernel(self) -> str | None:
        """The release of the kernel image the entry loads (``.../vmlinuz-RELEASE``)."""
        image = self.boot_image
        m = _VMLINUZ.search(image) if image else None
        return m[1] if m else None

    def origin(self, offset: int) -> tuple[str, int, int] | None:
        """The remote file, line and column that wrote character ``offset`` of the line."""
        if self.entry is None:
            if 0 <= offset < len(self.text) and "\n" not in self.text[:offset]:
                return self.path, 1, offset + 1
            return None
        o = self.entry.origin_at(offset)
        return (o.path, o.line, o.column) if o is not None else None


def _grubenv_context(files: Mapping[str, str], directory: str) -> Context:
    path = f"{directory}/grubenv"
    if path not in files:
        return Context()
    return Context(grubenv_values(files[path], path), path)


def _bls_sources(files: Mapping[str, str]) -> list[Source]:
    return [
        Source(p, t)
        for p, t in sorted(files.items())
        if p.endswith(".conf") and any(p.startswith(d) for d in _BLS_DIRS)
    ]


def _default(kind: str, sources: list[Source], context: Context) -> BootEntry | None:
    try:
        return frontend(kind).parse(sources, context).default_entry
    except LintError:
        return None


def boot_cmdline(facts: HostFacts) -> BootCmdline:
    """The next boot's command line from the collected boot files, else ``/proc/cmdline``."""
    files = facts.boot_files
    bls = _bls_sources(files)
    tried: list[str] = []
    for directory in _GRUB_DIRS:
        cfg = f"{directory}/grub.cfg"
        if cfg not in files:
            continue
        context = _grubenv_context(files, directory)
        if bls and "blscfg" in files[cfg]:
            entry = _default("bls", bls, context)
            if entry is not None:
                how = f"BLS default entry {entry.title!r} ({cfg} runs blscfg)"
                return BootCmdline(entry.cmdline, how, cfg, entry)
        try:
            entry = parse_boot_text(files[cfg], "grub-cfg", cfg, context).default_entry
        except LintError:
            entry = None
        if entry is not None:
            return BootCmdline(entry.cmdline, f"{cfg} default entry {entry.title!r}", cfg, entry)
        tried.append(cfg)
    if bls:
        directory = next((d for d in _GRUB_DIRS if f"{d}/grubenv" in files), _GRUB_DIRS[-1])
        entry = _default("bls", bls, _grubenv_context(files, directory))
        if entry is not None:
            return BootCmdline(
                entry.cmdline, f"BLS default entry {entry.title!r}", entry.id or "", entry
            )
        tried.append("BLS entries")
    if "/etc/kernel/cmdline" in files:
        entry = _default(
            "kernel-cmdline",
            [Source("/etc/kernel/cmdline", files["/etc/kernel/cmdline"])],
            Context(),
        )
        if entry is not None:
            return BootCmdline(entry.cmdline, "/etc/kernel/cmdline", "/etc/kernel/cmdline", entry)
        tried.append("/etc/kernel/cmdline")
    why = f"no default entry in {', '.join(tried)}" if tried else "no boot files collected"
    return BootCmdline(
        facts.proc_cmdline, f"{PROC_CMDLINE} (the running kernel's: {why})", PROC_CMDLINE
    )


def age_days(collected_at: str, now: datetime) -> int | None:
    """Whole days from ``collected_at`` (ISO 8601) to ``now``; None when unreadable."""
    try:
        when = datetime.fromisoformat(collected_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0, (now - when).days)


@dataclass(frozen=True)
class CollectedView:
    """A host's collected facts as linting uses them."""

    capture: Capture | None
    digest: str | None
    boot: BootCmdline
    next_kernel: str
    kernel_source: str
    facts: dict[str, Any]

    def locate(
        self, host: str, fallback: Callable[[int | None], Location | None]
    ) -> Callable[[int | None], Location | None]:
        """Offsets of the collected command line mapped to ``HOST:/remote/file:line:col``."""

        def at(offset: int | None) -> Location | None:
            where = self.boot.origin(offset) if offset is not None else None
            if where is None:
                return fallback(None)
            path, line, column = where
            return Location(f"{host}:{path}", line, column)

        return at


def view_of(facts: HostFacts, source: str, now: datetime) -> CollectedView:
    """Convert one host's facts; ``source`` names the capture in findings (e.g. the cache file)."""
    capture = facts_capture(facts, source)
    # The profile is the firmware map; the running kernel's facts ride along (Runner keys its
    # simulations by them too).
    digest = capture_digest(capture) if capture is not None else None
    if capture is not None:
        capture = with_running_kernel(capture, facts)
    boot = boot_cmdline(facts)
    if boot.kernel:
        kernel, how = boot.kernel, f"the kernel image of the {boot.source}"
    elif facts.next_kernel:
        kernel, how = facts.next_kernel, facts.next_kernel_source
    else:
        kernel, how = facts.kernel_release, "the running kernel"
    out: dict[str, Any] = {"current_kernel": facts.kernel_release}
    if facts.dmi_product is not None or facts.bios_version is not None:
        out["hardware"] = {"product": facts.dmi_product, "bios": facts.bios_version}
    if boot.boot_image:
        out["boot_image"] = boot.boot_image
    if capture is not None:
        out["profile"] = digest
        out["capture"] = {
            "path": source,
            "digest": digest,
            "age_days": age_days(facts.collected_at, now),
            "kernel": facts.kernel_release,
            "collected_at": facts.collected_at,
            "source": facts.e820_source,
        }
    return CollectedView(capture, digest, boot, kernel, how, out)
