"""Which kernel boots next, from collected boot files: best effort, and it says how it knows.

Order of evidence (GRUB's own order for the first two, grub-core/normal/menu.c):
1. grubenv ``next_entry`` (a one-time boot), then ``saved_entry`` when the default is ``saved``;
2. ``set default=`` in grub.cfg (index, title, id or ``a>b`` path), else entry 0;
   the entry is looked up in BLS entries (by file id or position after sorting newest first,
   as Fedora's blscfg module does) or in grub.cfg's menuentries, and its ``linux`` line names
   ``vmlinuz-VERSION``;
3. the newest ``/boot/vmlinuz-*`` (Debian's grub-mkconfig puts it first: version_sort -r);
4. the running kernel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

_GRUBENV = ("/boot/grub/grubenv", "/boot/grub2/grubenv")
_GRUBCFG = ("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg")
_VMLINUZ = re.compile(r"vmlinuz-(\S+)")
_MENU = re.compile(r"\s*(menuentry|submenu)\s+(['\"])(.*?)\2(.*)\{\s*$")
_ID = re.compile(r"\$menuentry_id_option\s+(['\"])(.*?)\1")
_SET_DEFAULT = re.compile(r"\s*set\s+default=(['\"]?)([^'\"\s]*)\1\s*$")


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key close to ``sort -V``: digit runs compare as numbers."""
    parts = re.findall(r"\d+|[^\d]+", version)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def parse_grubenv(text: str) -> dict[str, str]:
    """``key=value`` lines of a grubenv block (``#`` padding ignored)."""
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        env[key] = value
    return env


@dataclass
class _Entry:
    title: str
    entry_id: str
    kernel: str | None = None
    children: list[_Entry] = field(default_factory=list)
    is_submenu: bool = False


def _parse_grubcfg(text: str) -> tuple[list[_Entry], str | None]:
    root = _Entry("", "", is_submenu=True)
    stack = [root]
    default: str | None = None
    for line in text.splitlines():
        m = _MENU.match(line)
        if m is not None:
            ident = _ID.search(m[4])
            entry = _Entry(m[3], ident[2] if ident else "", is_submenu=m[1] == "submenu")
            stack[-1].children.append(entry)
            stack.append(entry)
            continue
        stripped = line.strip()
        if stripped == "}" and len(stack) > 1:
            stack.pop()
            continue
        if len(stack) > 1 and re.match(r"(linux|linuxefi|linux16)\s", stripped):
            k = _VMLINUZ.search(stripped)
            if k is not None and stack[-1].kernel is None:
                stack[-1].kernel = k[1]
        if len(stack) == 1 and default is None:
            d = _SET_DEFAULT.match(line)
            if d is not None and "$" not in d[2]:
                default = d[2]
    return root.children, default


def _find(entries: Sequence[_Entry], spec: str) -> _Entry | None:
    head, sep, rest = spec.partition(">")
    found: _Entry | None = None
    if head.isdigit():
        index = int(head)
        found = entries[index] if index < len(entries) else None
    else:
        found = next((e for e in entries if head in (e.title, e.entry_id)), None)
    if found is None:
        return None
    if sep:
        return _find(found.children, rest)
    if found.is_submenu:
        return _find(found.children, "0")
    return found


def _bls(boot_files: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """(id, kernel version) of each BLS entry, newest version first."""
    entries: list[tuple[str, str | None]] = []
    for path, text in boot_files.items():
        if "/loader/entries/" not in path or not path.endswith(".conf"):
            continue
        version: str | None = None
        linux: str | None = None
        for line in text.splitlines():
            key, _, value = line.strip().partition(" ")
            if key == "version" and version is None:
                version = value.strip()
            elif key == "linux" and linux is None:
                k = _VMLINUZ.search(value)
                linux = k[1] if k else None
        ident = path.rsplit("/", 1)[1][: -len(".conf")]
        entries.append((ident, linux or version))
    entries.sort(key=lambda e: version_key(e[1] or ""), reverse=True)
    return entries


def next_kernel(
    boot_files: Mapping[str, str], boot_kernels: Sequence[str], running: str
) -> tuple[str | None, str]:
    """(release, how it was found) of the kernel the host boots next."""
    env: dict[str, str] = {}
    for path in _GRUBENV:
        if path in boot_files:
            env = parse_grubenv(boot_files[path])
            break
    cfg_text = next((boot_files[p] for p in _GRUBCFG if p in boot_files), None)
    menu, cfg_default = _parse_grubcfg(cfg_text) if cfg_text is not None else ([], None)
    default_grub = boot_files.get("/etc/default/grub", "")
    saved_default = re.search(r"^\s*GRUB_DEFAULT=['\"]?saved['\"]?\s*$", default_grub, re.M)
    uses_saved = bool(saved_default) or bool(cfg_text and "${saved_entry}" in cfg_text)
    spec, how = None, ""
    if env.get("next_entry"):
        spec, how = env["next_entry"], "grubenv next_entry"
    elif env.get("saved_entry") and uses_saved:
        spec, how = env["saved_entry"], "grubenv saved_entry"
    elif cfg_default is not None:
        spec, how = cfg_default, "grub.cfg set default"
    bls = _bls(boot_files)
    if bls:
        want = spec if spec is not None else "0"
        if want.isdigit():
            index = int(want)
            if index < len(bls) and bls[index][1]:
                return bls[index][1], f"{how or 'default'}: BLS entry {bls[index][0]}"
        for ident, version in bls:
            if ident == want and version:
                return version, f"{how}: BLS entry {ident}"
    if menu:
        entry = _find(menu, spec if spec is not None else "0")
        if entry is not None and entry.kernel:
            return entry.kernel, f"{how or 'grub.cfg entry 0'}: menuentry {entry.title!r}"
    if boot_kernels:
        newest = max(boot_kernels, key=version_key)
        return newest, "newest /boot/vmlinuz-*"
    return running, "running kernel (no boot entry found)"
