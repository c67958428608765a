"""Kind detection and loading: the I/O edge of the boot-config parsers."""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path

from memmap_lint.bootconfig.base import Context, Frontend, Source
from memmap_lint.bootconfig.bls import BlsFrontend
from memmap_lint.bootconfig.grub_cfg import GrubCfgFrontend
from memmap_lint.bootconfig.grub_default import GrubDefaultFrontend
from memmap_lint.bootconfig.grubby import GrubbyFrontend
from memmap_lint.bootconfig.grubenv import GrubenvFrontend, parse_envblk
from memmap_lint.bootconfig.kernel_cmdline import KernelCmdlineFrontend, ProcCmdlineFrontend
from memmap_lint.bootconfig.model import BootConfig, Traced
from memmap_lint.bootconfig.uki import UkiFrontend, addons_of
from memmap_lint.bootconfig.xbc import BootconfigFrontend
from memmap_lint.errors import LintError
from memmap_lint.fileio import read_bytes

#: Front ends in detection order (content-based checks of later ones are looser).
FRONTENDS: tuple[Frontend, ...] = (
    GrubenvFrontend(),
    UkiFrontend(),
    BootconfigFrontend(),
    GrubbyFrontend(),
    KernelCmdlineFrontend(),
    ProcCmdlineFrontend(),
    BlsFrontend(),
    GrubCfgFrontend(),
    GrubDefaultFrontend(),
)
KINDS = tuple(f.kind for f in FRONTENDS)


def frontend(kind: str) -> Frontend:
    for f in FRONTENDS:
        if f.kind == kind:
            return f
    raise LintError("MM505", f"unknown boot config kind {kind!r} (known: {', '.join(KINDS)})")


def detect_kind(path: str, text: str) -> str | None:
    """The kind of boot config ``path`` holding ``text`` is, by name first, then by content."""
    norm = str(path).replace("\\", "/")
    name = norm.rsplit("/", 1)[-1]
    if name == "grubenv":
        return "grubenv"
    if norm.endswith("kernel/cmdline"):
        return "kernel-cmdline"
    if norm.endswith("proc/cmdline"):
        return "proc-cmdline"
    if name == "grub.cfg":
        return "grub-cfg"
    if norm.endswith("default/grub") or "default/grub.d/" in norm:
        return "grub-default"
    if "loader/entries/" in norm:
        return "bls"
    if name.lower().endswith(".efi"):
        return "uki"
    if name.startswith(("initrd", "initramfs")) or name.endswith(".bconf") or name == "bootconfig":
        return "bootconfig"
    for f in FRONTENDS:
        if f.detect(norm, text):
            return f.kind
    return None


def parse_boot_text(
    text: str, kind: str, path: str = "<inline>", context: Context | None = None
) -> BootConfig:
    """Parse ``text`` (no file access): the pure entry point, e.g. for rendered templates."""
    return frontend(kind).parse([Source(path, text)], context or Context())


_BINARY_KINDS = ("uki", "bootconfig")
"""Kinds whose files are binary (a PE image, an initrd with a bootconfig appended)."""


def _read(path: Path, overlay: Mapping[str, str] | None = None) -> str:
    if overlay is not None and str(path) in overlay:
        return overlay[str(path)]
    try:
        return read_bytes(path, "boot-file", "MM505").decode("utf-8", "surrogateescape")
    except LintError as exc:
        why = exc.message.removeprefix("cannot read: ")
        raise LintError("MM505", f"cannot read boot config: {why}", str(path)) from None


def load_boot_config(
    path: str | PathLike[str],
    kind: str | None = None,
    context: Context | None = None,
    overlay: Mapping[str, str] | None = None,
) -> BootConfig:
    """Read a boot config file with the files the boot tooling reads with it.

    ``.../default/grub`` brings ``grub.d/*.cfg`` beside it (sorted); ``grub.cfg`` brings the
    ``grubenv`` beside it; a BLS entry (or an ``entries`` directory) brings every ``*.conf`` of its
    directory and the ``grub2/grubenv`` (or ``grub/grubenv``) two levels up; a UKI brings the
    add-ons systemd-stub loads with it. ``overlay`` (path as read -> text) replaces files'
    contents, e.g. to read them as a fix would leave them.
    """
    p = Path(path)
    ctx = context or Context()
    if p.is_dir():
        confs = sorted(p.glob("*.conf"))
        if not confs:
            raise LintError("MM505", "directory holds no BLS *.conf entries", str(p))
        return _load_bls(confs, ctx, overlay)
    text = _read(p, overlay)
    found = kind or detect_kind(str(p), text)
    if found is None:
        raise LintError(
            "MM505", "cannot tell which kind of boot config this is (use --kind)", str(p)
        )
    if found not in _BINARY_KINDS and "\0" in text:
        at = text.index("\0")
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        raise LintError(
            "MM505", f"binary data (a NUL byte): this is not a {found} file", str(p), line, column
        )
    if found == "grub-default":
        sources = [Source(str(p), text)]
        dropins = p.parent / "grub.d"
        if p.name == "grub" and dropins.is_dir():
            sources += [
                Source(str(d), _read(d, overlay))
                for d in sorted(dropins.glob("*.cfg"), key=lambda x: x.name)
            ]
        return frontend(found).parse(sources, ctx)
    if found == "grub-cfg":
        env_file = p.parent / "grubenv"
        if not ctx.grubenv and env_file.is_file():
            ctx = _with_grubenv(ctx, env_file, overlay)
        return frontend(found).parse([Source(str(p), text)], ctx)
    if found == "uki":
        extra = [] if p.name.lower().endswith(".addon.efi") else addons_of(p)
        return frontend(found).parse(
            [Source(str(p), text), *[Source(str(a), _read(a, overlay)) for a in extra]], ctx
        )
    if found == "bls":
        confs = sorted(p.parent.glob("*.conf")) if p.suffix == ".conf" else [p]
        if p not in confs:
            confs.append(p)
        return _load_bls(confs, ctx, overlay)
    return frontend(found).parse([Source(str(p), text)], ctx)


def _with_grubenv(
    ctx: Context, env_file: Path, overlay: Mapping[str, str] | None = None
) -> Context:
    values, _ = parse_envblk(_read(env_file, overlay), str(env_file))
    return Context(
        values, str(env_file), ctx.kernel_path, ctx.kernel_version, ctx.root_device, ctx.grub_root
    )


def _load_bls(
    confs: list[Path], ctx: Context, overlay: Mapping[str, str] | None = None
) -> BootConfig:
    if not ctx.grubenv:
        base = confs[0].parent.parent.parent
        for cand in (base / "grub2" / "grubenv", base / "grub" / "grubenv"):
            if cand.is_file():
                ctx = _with_grubenv(ctx, cand, overlay)
                break
    sources = [Source(str(c), _read(c, overlay)) for c in confs]
    return frontend("bls").parse(sources, ctx)


def grubenv_values(text: str, path: str = "grubenv") -> dict[str, Traced]:
    """The variables of a grubenv text, traced (for callers building a Context)."""
    return parse_envblk(text, path)[0]
