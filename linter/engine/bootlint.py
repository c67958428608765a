"""Boot configuration files as hosts: each boot entry becomes a host (the I/O edge).

``memmap-lint etc/default/grub`` reads the file with its ``grub.d/`` drop-ins, turns every boot
entry into a host named ``<path>#<entry title>`` (a file with one command line, such as
``/etc/kernel/cmdline``, is just ``<path>``), the default entry first, and locates every finding
at the file, line and column it comes from. A ``grub.d/*.cfg`` drop-in is linted through the
``default/grub`` beside it, a ``grubenv`` through the grub.cfg or BLS entries that load it.
Hardware comes from the ``boot-files`` setting of the config file. What happens after the rules
(inline disable comments, findings shared by entries) is ``postprocess``'s.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from memmap_lint.bootconfig import KINDS, BootConfig, BootEntry, detect_kind, load_boot_config
from memmap_lint.bootconfig.view import BootView
from memmap_lint.captures.parse import Capture
from memmap_lint.engine.candidates import CANDIDATE_DIALECTS
from memmap_lint.engine.config import Config
from memmap_lint.engine.hostinput import (
    CaptureCache,
    HostInput,
    Sources,
    boot_locator,
    build,
    entry_release,
)
from memmap_lint.engine.override import Override
from memmap_lint.errors import LintError
from memmap_lint.fileio import read_bytes
from memmap_lint.inventory.model import Host, Pos
from memmap_lint.kernel.release import parse_release

BOOT_KINDS = KINDS
_INVENTORY_SUFFIXES = (".yaml", ".yml", ".json", ".ini")


def is_boot_path(path: str, kind: str | None, text: str | None = None) -> bool:
    """Whether PATH (with ``--kind``) is a boot configuration rather than an inventory;
    ``text`` is its content when it is not a file (stdin)."""
    if kind is not None:
        return kind in BOOT_KINDS
    p = Path(path)
    norm = str(path).replace("\\", "/")
    if text is not None:
        return detect_kind(norm, text) is not None
    if p.is_dir():
        return "loader/entries" in norm.rstrip("/") + "/" and any(p.glob("*.conf"))
    if p.suffix in _INVENTORY_SUFFIXES or not p.is_file():
        return False  # a FIFO or device is read once, by the inventory reader (bounded)
    try:
        with p.open("rb") as f:
            head = f.read(65536).decode("utf-8", "surrogateescape")
    except OSError:
        return False
    return detect_kind(norm, head) is not None


def owner(path: Path, kind: str | None) -> tuple[Path, str | None]:
    """The file whose reading includes ``path`` (a drop-in's ``default/grub``, a grubenv's
    grub.cfg or BLS entries), or ``path`` itself."""
    norm = str(path).replace("\\", "/")
    if kind in (None, "grub-default") and path.parent.name == "grub.d":
        main = path.parent.parent / "grub"
        if norm.endswith(".cfg") and main.is_file():
            return main, "grub-default"
    if kind in (None, "grubenv") and path.name == "grubenv":
        cfg = path.parent / "grub.cfg"
        if cfg.is_file():
            return cfg, "grub-cfg"
        entries = path.parent.parent / "loader" / "entries"
        if entries.is_dir() and any(entries.glob("*.conf")):
            return entries, "bls"
    if kind in (None, "bls") and path.suffix == ".conf" and "loader/entries/" in norm:
        return path.parent, "bls"
    return path, kind


def _companion(path: Path, kind: str, linted: set[Path]) -> Path | None:
    """grub.cfg's /etc/default/grub, or /etc/default/grub's grub.cfg (not linted itself)."""
    if kind == "grub-cfg" and path.parent.name in ("grub", "grub2"):
        root = path.parent.parent.parent
        cand = root / "etc" / "default" / "grub"
        return cand if cand.is_file() else None
    if kind == "grub-default" and path.parent.name == "default":
        root = path.parent.parent.parent
        for sub in ("grub", "grub2"):
            cand = root / "boot" / sub / "grub.cfg"
            if cand.is_file() and cand.resolve() not in linted:
                return cand
    return None


def read_sources(
    config: BootConfig,
    extra: Sequence[BootConfig] = (),
    overlay: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The text of every file the configs were read from (path -> text; ``overlay``'s text for
    a path it holds, e.g. stdin's ``-``)."""
    paths: set[str] = set(config.paths)
    for c in (config, *extra):
        paths.update(c.paths)
        for e in c.entries:
            paths.update(o.path for _s, _e, o in e.origins)
        for a in c.variables.values():
            paths.update(h.origin.path for h in a.history())
    out: dict[str, str] = {}
    for p in sorted(paths):
        if overlay is not None and p in overlay:
            out[p] = overlay[p]
            continue
        try:
            out[p] = read_bytes(p, "boot-file", "MM505").decode("utf-8", "surrogateescape")
        except LintError:
            continue
    return out


@dataclass(frozen=True)
class Profile:
    """Hardware and kernel for boot files (``boot-files`` in the config, or an inventory host)."""

    e820: str | None = None
    kernel: str | None = None
    features: tuple[str, ...] = ()
    dialect: str | None = None
    hardware: Mapping[str, Any] = field(default_factory=dict)
    base: Path = Path(".")


def profile_for(path: Path, config: Config) -> Profile:
    """The first ``boot-files`` pattern of the config that matches ``path``."""
    if not config.boot_files or not config.path:
        return Profile()
    base = Path(config.path).parent
    try:
        rel = path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        rel = path.as_posix()
    for pattern, spec in config.boot_files.items():
        if fnmatch.fnmatchcase(rel, pattern) or PurePosixPath(rel).match(pattern):
            return _profile(spec, base, config.path)
    return Profile()


def _profile(spec: Mapping[str, Any], base: Path, label: str) -> Profile:
    if spec.get("inventory"):
        from memmap_lint.inventory.load import load_inventory

        inv = load_inventory(base / str(spec["inventory"]))
        name = str(spec.get("host", ""))
        host = inv.hosts.get(name)
        if host is None:
            raise LintError("MM003", f"boot-files: no host {name!r} in {spec['inventory']}", label)
        e820 = host.vars.get("e820")
        return Profile(
            str(e820.value) if e820 else None,
            host.get("kernel"),
            tuple(host.get("kernel_features") or ()),
            host.get("dialect"),
            host.get("hardware") or {},
            Path(e820.pos.path).parent if e820 else base,
        )
    return Profile(
        spec.get("e820"),
        spec.get("kernel"),
        tuple(spec.get("kernel_features") or ()),
        spec.get("dialect"),
        spec.get("hardware") or {},
        base,
    )


def _ordered(config: BootConfig) -> list[BootEntry]:
    entries = list(config.entries)
    default = [e for e in entries if e.is_default]
    return default[:1] + [e for e in entries if e not in default[:1]]


def views(
    config: BootConfig, sources: Mapping[str, str], companion: BootConfig | None = None
) -> list[BootView]:
    """One view per entry, the default first; a config without entries gets one empty entry."""
    entries = _ordered(config) or [BootEntry(config.paths[0] if config.paths else "", "none", "")]
    return [BootView(config, e, sources, i == 0, companion) for i, e in enumerate(entries)]


def host_name(label: str, config: BootConfig, entry: BootEntry) -> str:
    """``<path>#<title>``; just ``<path>`` for one-line command-line files or no entries."""
    if config.kind in ("kernel-cmdline", "proc-cmdline") or entry.kind == "none":
        return label
    return f"{label}#{entry.title}"


def boot_inputs(
    path: Path,
    label: str,
    kind: str | None,
    config: Config,
    captures: CaptureCache,
    linted: set[Path] | None = None,
    profile: Profile | None = None,
    override: Override | None = None,
    overlay: Mapping[str, str] | None = None,
) -> list[HostInput]:
    """A HostInput per boot entry of the configuration at ``path``.

    The next kernel: ``override`` (the command line), else the boot-files profile, else the
    entry's own (BLS ``version``/``linux``, a grub.cfg ``linux`` path, a UKI's ``.uname``).
    When none gives a version, a dialect or a feature, the input carries the
    ``kernel_candidates`` fact: ``engine.candidates`` checks it under each kernel it could meet.
    ``overlay``: path -> text read instead of the file (stdin's).
    """
    boot = load_boot_config(path, kind, overlay=overlay)
    comp_path = _companion(path, boot.kind, linted or set())
    companion = load_boot_config(comp_path) if comp_path is not None else None
    sources = read_sources(boot, [companion] if companion else [], overlay)
    prof = profile or profile_for(path, config)
    given = override or Override()
    if given.e820:
        prof = replace(prof, e820=given.e820, base=Path("."))
    features = given.features or prof.features
    dialect = given.dialect or prof.dialect
    capture: Capture | None = None
    digest: str | None = None
    facts: dict[str, Any] = {"linted_as": "boot-file"}
    if prof.hardware:
        facts["hardware"] = dict(prof.hardware)
    if prof.e820:
        capture, digest = captures.get(str(prof.e820), prof.base, config.path or label)
        facts["profile"] = digest
        facts["capture"] = {"path": capture.source, "digest": digest}
    out: list[HostInput] = []
    for v in views(boot, sources, companion):
        first = v.origin_of(None)
        pos = Pos(first.path, first.line, first.column) if first else Pos(label, 1, 1)
        host = Host(host_name(label, boot, v.entry), {}, (), pos)
        release = given.release or prof.kernel or v.entry.kernel or entry_release(v.entry)
        src = Sources(
            host,
            v.entry.cmdline,
            boot_locator(v, label),
            release,
            features,
            dialect,
            capture,
            digest,
            {**facts, **unknown_kernel(release, features, dialect)},
            v,
        )
        try:
            out.append(build(src))
        except ValueError as exc:
            raise LintError("MM003", f"boot-files: {exc}", config.path) from exc
    return out


def unknown_kernel(
    release: str | None, features: Sequence[str], dialect: str | None
) -> dict[str, Any]:
    """The facts of an entry whose next kernel nothing names (no version, dialect or feature)."""
    if parse_release(release) is not None or dialect is not None or features:
        return {}
    facts: dict[str, Any] = {"kernel_candidates": list(CANDIDATE_DIALECTS)}
    if release:
        facts["kernel_name"] = release
    return facts


def boot_targets(paths: Sequence[str], kind: str | None) -> list[tuple[str, str | None]]:
    """The configurations to read for boot file ``paths``, as (label, kind): drop-ins and grubenv
    files go through the file that reads them, and a configuration named twice (several BLS
    entries of one directory) is read once."""
    targets: list[tuple[str, str | None]] = []
    seen: set[Path] = set()
    for path in paths:
        main, k = owner(Path(path), kind)
        key = main.resolve()
        if key in seen:
            continue
        seen.add(key)
        label = path if main == Path(path) else str(main)
        targets.append((label, k))
    return targets


def inventory_boot(files: Sequence[str], base: Path) -> BootView | None:
    """For an inventory host with ``boot_files``: the view of the default entry of the first
    file (in the order given) that has entries; paths are relative to ``base``."""
    for f in files:
        p = Path(f) if Path(f).is_absolute() else base / f
        main, k = owner(p, None)
        boot = load_boot_config(main, k)
        if boot.entries:
            return views(boot, read_sources(boot, []))[0]
    return None


__all__ = [
    "BOOT_KINDS",
    "Profile",
    "boot_inputs",
    "boot_targets",
    "host_name",
    "inventory_boot",
    "is_boot_path",
    "owner",
    "profile_for",
    "views",
]
