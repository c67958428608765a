"""Which files make an inventory and how each is read: YAML, INI or ``ansible-inventory`` JSON.

A file: ``.yaml``/``.yml`` is Ansible's YAML structure; ``.json`` is ``ansible-inventory --list``
output when it looks like it (a ``_meta`` key, or lists of hosts or children), else the YAML
structure written as JSON; ``.toml`` is refused; a file without a suffix is YAML when it is a
YAML mapping (Ansible's ``yaml`` plugin is tried first) and INI otherwise; any other suffix is
INI (``ini`` is the plugin Ansible tries on it).

A directory is read as ansible-core's ``InventoryManager.parse_source`` reads it: its entries in
sorted order, subdirectories recursively, skipping hidden names, ``group_vars``, ``host_vars``,
``vars_plugins`` and the names ending in ``INVENTORY_IGNORE_EXTS`` (``config/base.yml``: Ansible's
``REJECT_EXTS`` plus ``.orig``, ``.cfg``, ``.retry``). A file there that is not ``.yaml``/``.yml``/
``.json``/``.ini`` and that the INI reader cannot parse is passed over, as Ansible passes over a
source no plugin parses (with a warning).

``group_vars/NAME`` and ``host_vars/NAME`` beside the inventory (in the directory, or beside the
file) are found as ansible-core's ``host_group_vars`` plugin finds them (``DataLoader.
find_vars_files``): the first of ``NAME``, ``NAME.yml``, ``NAME.yaml``, ``NAME.json`` that exists;
a directory of that name gives all its files with no suffix or one of those, recursively, in
sorted order, skipping hidden names and names ending in ``~``.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from memmap_lint.errors import LintError
from memmap_lint.fileio import decode, read_bytes
from memmap_lint.inventory.model import VarDef
from memmap_lint.inventory.reader import Reader
from memmap_lint.inventory.yamlpos import compose

#: ansible-core constants.py REJECT_EXTS + config/base.yml INVENTORY_IGNORE_EXTS additions
IGNORE_EXTS = (
    ".pyc",
    ".pyo",
    ".swp",
    ".bak",
    "~",
    ".rpm",
    ".md",
    ".txt",
    ".rst",
    ".orig",
    ".cfg",
    ".retry",
)
_IGNORED = re.compile(
    "|".join(
        [r"^\.", "^host_vars$", "^group_vars$", "^vars_plugins$"]
        + [re.escape(e) + "$" for e in IGNORE_EXTS]
    )
)
_YAML_EXTS = (".yml", ".yaml", ".json")  # YAML_FILENAME_EXTENSIONS
_KNOWN = (".yaml", ".yml", ".json", ".ini")


def _enter(folder: Path, seen: set[tuple[int, int]]) -> list[str]:
    """The names in ``folder``, sorted; MM604 when a symbolic link leads back into a folder
    being walked (Ansible would walk it until the path is too long)."""
    try:
        st = folder.stat()
        if (st.st_dev, st.st_ino) in seen:
            raise LintError("MM604", "symbolic link loop: this folder is already being read",
                            str(folder))  # fmt: skip
        seen.add((st.st_dev, st.st_ino))
        return sorted(p.name for p in folder.iterdir())
    except OSError as exc:
        raise LintError("MM604", f"cannot read inventory: {exc.strerror}", str(folder)) from None


def inventory_files(root: Path, seen: set[tuple[int, int]] | None = None) -> list[Path]:
    """The files of directory inventory ``root`` that Ansible considers, in its order."""
    seen = set() if seen is None else seen
    out: list[Path] = []
    for name in _enter(root, seen):
        if _IGNORED.search(name):
            continue
        path = root / name
        if path.is_dir():
            out.extend(inventory_files(path, seen))
        elif path.is_file():
            out.append(path)
    return out


def read_source(
    reader: Reader, path: Path, label: str, in_directory: bool = False, data: bytes | None = None
) -> None:
    """Read one inventory file into ``reader`` in the format its suffix and content say
    (``data``: its content, when it is not read from ``path``)."""
    from memmap_lint.inventory.ini import read_ini
    from memmap_lint.inventory.listjson import is_list_json, parse_json, read_list_json

    suffix = path.suffix.lower()
    if suffix == ".toml":
        reader.errors.append(LintError("MM604", "TOML inventories are not supported", label))
        return
    if data is None:
        try:
            data = read_bytes(path, "inventory", "MM604")
        except LintError as exc:
            reader.errors.append(LintError(exc.code, exc.message, label))
            return
    if data.startswith(b"$ANSIBLE_VAULT"):
        reader.errors.append(
            LintError("MM604", "a vault-encrypted inventory cannot be read here", label, 1, 1)
        )
        return
    if suffix in (".yaml", ".yml"):
        try:
            reader.read_file(path, label, decode(data, label, "MM604"))
        except LintError as exc:
            reader.errors.append(exc)
        return
    if suffix == ".json" or (suffix == "" and data.lstrip()[:1] == b"{"):
        try:
            text = decode(data, label, "MM604")
            root = parse_json(text, label)
        except LintError as exc:
            if suffix == ".json":
                reader.errors.append(exc)
                return
        else:
            if is_list_json(root):
                read_list_json(reader, root, text, label)
            else:
                reader.read_file(path, label, text)
            return
    if suffix == "" and _is_yaml_mapping(data, label):
        reader.read_file(path, label, data.decode("utf-8"))  # _is_yaml_mapping decoded it
        return
    before = len(reader.errors)
    if not read_ini(reader, data, label) and in_directory and suffix not in _KNOWN:
        del reader.errors[before:]


def _is_yaml_mapping(data: bytes, label: str) -> bool:
    try:
        node = compose(data.decode("utf-8"), label)
    except (LintError, UnicodeDecodeError):
        return False
    return isinstance(node, yaml.MappingNode)


def vars_files(base: Path, sub: str, name: str) -> list[Path]:
    """The files of ``base/sub`` (``group_vars``/``host_vars``) that hold ``name``'s vars."""
    if not name or name.startswith("/") or "\0" in name or ".." in Path(name).parts:
        return []  # never a path outside the inventory (Ansible skips only the first form)
    folder = base / sub
    for ext in ("", *_YAML_EXTS):
        path = folder / (name + ext)
        try:
            if path.is_dir():
                return _dir_vars_files(path, set())
            if path.exists():
                return [path]
        except OSError:  # a name too long for a file name: no such file
            return []
    return []


def _dir_vars_files(folder: Path, seen: set[tuple[int, int]]) -> list[Path]:
    out: list[Path] = []
    for name in _enter(folder, seen):
        if name.startswith(".") or name.endswith("~"):
            continue
        path = folder / name
        ext = path.suffix
        if path.is_dir() and not ext:
            out.extend(_dir_vars_files(path, seen))
        elif path.is_file() and (not ext or ext in _YAML_EXTS):
            out.append(path)
    return out


def read_vars_files(
    reader: Reader, base: Path, sub: str, names: list[str]
) -> dict[str, dict[str, VarDef]]:
    """``{name: merged vars}`` from ``base/sub`` for each name that has vars files there."""
    out: dict[str, dict[str, VarDef]] = {}
    if not (base / sub).is_dir():
        return out
    for name in names:
        for f in vars_files(base, sub, name):
            out.setdefault(name, {}).update(reader.read_vars_file(f, str(f), f"{sub}.{name}"))
    return out
