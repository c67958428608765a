"""What one host brings to the rules, and the one place it is built.

Every path to the rules (inventory hosts, with or without collected facts; boot file entries;
the Ansible pre-flight) gathers a :class:`Sources`, where each piece comes from, and
:func:`build` resolves it into the :class:`HostInput` the rules run on: the command line parsed,
the kernel decided, the boot entry's own facts added.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from memmap_lint.bootconfig.model import BootEntry
from memmap_lint.bootconfig.view import BootView
from memmap_lint.captures.parse import Capture, capture_digest, load_capture, parse_capture
from memmap_lint.engine.findings import Location
from memmap_lint.inventory.model import Host
from memmap_lint.kernel.cmdline import Cmdline, parse
from memmap_lint.kernel.release import Kernel, kernel_for
from memmap_lint.quickinit import quick_init

Locator = Callable[[int | None], Location | None]

_VMLINUZ = re.compile(r"vmlinuz-([^\s/]+)$")
_BOOT_IMAGE = "BOOT_IMAGE="


def no_location(_offset: int | None) -> Location | None:
    """The locator of a command line that is in no file."""
    return None


@quick_init
@dataclass(frozen=True)
class Sources:
    """What is known of one host before it is resolved, each piece from wherever it came.

    ``text`` is the command line and ``locate`` maps its offsets to files; when ``boot`` is set
    the text is that boot entry's. ``release``/``features``/``dialect`` choose the kernel
    (``kernel.release.kernel_for``).
    """

    host: Host
    text: str
    locate: Locator
    release: str | None = None
    features: tuple[str, ...] = ()
    dialect: str | None = None
    capture: Capture | None = None
    digest: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    boot: BootView | None = None


@dataclass
class HostInput:
    """What one host brings: resolved before any rule runs."""

    host: Host
    kernel: Kernel
    cmdline: Cmdline
    locate: Locator
    capture: Capture | None
    digest: str | None
    facts: dict[str, Any]
    #: The boot entry the command line comes from (boot files, inventory ``boot_files``).
    boot: BootView | None = None


@lru_cache(maxsize=4096)
def _parsed(text: str) -> Cmdline:
    """``parse`` memoized by text (a Cmdline is immutable; a fleet has few distinct lines)."""
    return parse(text)


@lru_cache(maxsize=4096)
def _kernel(release: str | None, features: tuple[str, ...], dialect: str | None) -> Kernel:
    return kernel_for(release, features, dialect)


def _plain(release: object, features: object, dialect: object) -> bool:
    """Whether the kernel pieces are hashable strings (inventory values may be anything)."""
    return (
        isinstance(release, (str, type(None)))
        and isinstance(dialect, (str, type(None)))
        and isinstance(features, tuple)
        and all(type(f) is str for f in features)
    )


def resolve_kernel(release: Any, features: Any, dialect: Any) -> Kernel:
    """``kernel_for``, memoized for plain strings; ValueError when the pieces name no kernel."""
    if _plain(release, features, dialect):
        return _kernel(release, features, dialect)
    return kernel_for(release, features, dialect)


def build(s: Sources) -> HostInput:
    """Resolve ``s``; ValueError when its kernel pieces name no kernel (the caller words it)."""
    kernel = resolve_kernel(s.release, s.features, s.dialect)
    facts = dict(s.facts)
    image = boot_image(s.boot.entry) if s.boot is not None else None
    if image is not None:
        facts["boot_image"] = image
    return HostInput(s.host, kernel, _parsed(s.text), s.locate, s.capture, s.digest, facts, s.boot)


def with_kernel(inp: HostInput, release: Any, features: Any, dialect: Any) -> HostInput:
    """``inp`` as it is under another kernel (ValueError when the pieces name none)."""
    return replace(inp, kernel=resolve_kernel(release, features, dialect))


def with_cmdline(inp: HostInput, text: str) -> HostInput:
    """``inp`` with another command line (parsed as :func:`build` parses it)."""
    return replace(inp, cmdline=_parsed(text))


def boot_image(entry: BootEntry) -> str | None:
    """The path GRUB passes as ``BOOT_IMAGE=`` at the head of an entry's command line."""
    if not entry.cmdline.startswith(_BOOT_IMAGE):
        return None
    return entry.cmdline.split(" ", 1)[0][len(_BOOT_IMAGE) :]


def entry_release(entry: BootEntry) -> str | None:
    """The kernel release of an entry's ``BOOT_IMAGE=.../vmlinuz-RELEASE``, if it names one."""
    m = _VMLINUZ.search(boot_image(entry) or "")
    return m.group(1) if m and m.group(1) != "VERSION" else None


def boot_locator(v: BootView, label: str) -> Locator:
    """Maps command-line offsets (and anchors) of a boot entry to file positions."""

    def locate(offset: int | None) -> Location | None:
        o = v.origin_of(offset)
        if o is None:
            return Location(label)
        return Location(o.path, o.line, o.column)

    return locate


@dataclass
class CaptureCache:
    """Captures loaded once per file (or inline text) and their digests."""

    loaded: dict[str, tuple[Capture, str]] = field(default_factory=dict)
    #: (spec, base) -> key of ``loaded``: the path arithmetic done once per distinct spelling.
    _keys: dict[tuple[str, Path], str] = field(default_factory=dict)

    def get(self, spec: str, base: Path, label: str) -> tuple[Capture, str]:
        known = self._keys.get((spec, base))
        if known is not None:
            return self.loaded[known]
        found = self._get(spec, base, label)
        if "\n" not in spec:
            self._keys[(spec, base)] = str(Path(spec) if Path(spec).is_absolute() else base / spec)
        return found

    def _get(self, spec: str, base: Path, label: str) -> tuple[Capture, str]:
        if "\n" in spec:
            key = "inline:" + spec
            if key not in self.loaded:
                cap = parse_capture(spec, label)
                self.loaded[key] = (cap, capture_digest(cap))
            return self.loaded[key]
        path = Path(spec) if Path(spec).is_absolute() else base / spec
        key = str(path)
        if key not in self.loaded:
            cap = load_capture(path)
            self.loaded[key] = (cap, capture_digest(cap))
        return self.loaded[key]
