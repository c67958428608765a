"""Ansible's INI inventories, read as ansible-core's ``ini`` inventory plugin reads them.

Lines before any section are hosts of ``ungrouped``; ``[g]`` holds hosts (``name[:port]``, ranges
``web[01:03]``, then ``key=value`` words split as ``shlex.split(line, comments=True)`` splits
them), ``[g:vars]`` one ``key=value`` a line (split at the first ``=``, both sides stripped, a
``#`` there is part of the value), ``[g:children]`` group names. Lines whose first character is
``#`` or ``;`` are comments. Every value, on host lines and in ``:vars``, is a Python literal when
``ast.literal_eval`` reads it (``6.10`` is the float 6.1, ``True`` a bool, ``'6.10'`` a string)
and its text otherwise; tuples and sets become lists, bytes and complex numbers strings.
Section names have every character that is not a word character (and a leading digit) replaced
by ``_``; a ``[g:vars]`` or ``:children`` entry naming a group never declared is an error.
Where Ansible stops at the first problem, every problem is reported (MM604, with line:column),
and every value keeps the column of each of its characters.
"""

from __future__ import annotations

import ast
import copy
import re
import warnings
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from memmap_lint.errors import LintError
from memmap_lint.inventory.hostpattern import PatternError, expand_hostpattern
from memmap_lint.inventory.model import Group, Pos, VarDef
from memmap_lint.inventory.reader import Reader
from memmap_lint.inventory.shlex_split import ShlexError, split
from memmap_lint.inventory.textpos import mapped

_SECTION = re.compile(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$")
_GROUP_NAME = re.compile(r"^([^:\]\s]+)\s*(?:#.*)?$")
_UNSAFE_NAME = re.compile(r"^[\d\W]|[^\w]")
_COMMENT_MARKERS = ("#", ";")


class ValueFailure(Exception):
    """``ast.literal_eval`` failed other than with ValueError/SyntaxError: Ansible fails too."""


#: digits and at least two dots: never one Python literal (a number has at most one dot, so
#: this is numbers side by side, a SyntaxError, or ``...``, which Ansible gives as "..." too)
_DOTTED = re.compile(r"[0-9.]*\.[0-9.]*\.[0-9.]*")


def parse_value(text: str) -> Any:
    """An INI value as Ansible's ``_parse_value`` gives it (a Python literal, else the text)."""
    if _DOTTED.fullmatch(text):  # e.g. an IP address: the commonest value that is not a literal
        return text
    value = _literal(text)
    return copy.deepcopy(value) if isinstance(value, (list, dict)) else value


@lru_cache(maxsize=4096)
def _literal(text: str) -> Any:
    """``parse_value`` for one text, remembered (a fleet repeats its values on many lines)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value: Any = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = text
    except Exception as exc:  # e.g. TypeError for {[]: 1}, RecursionError, MemoryError
        raise ValueFailure(f"{type(exc).__name__}: {exc}") from exc
    return _coerce(value)


def _coerce(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, set)):
        return [_coerce(v) for v in value]
    if isinstance(value, dict):
        return {k: _coerce(v) for k, v in value.items()}
    if value is ...:
        return "..."
    if isinstance(value, complex):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value


def safe_group_name(name: str) -> str:
    """A section's group name as Ansible forces it (``to_safe_group_name(force=True)``)."""
    return _UNSAFE_NAME.sub("_", name)


def decode(data: bytes) -> list[str] | LintError:
    """The lines of an INI file as Ansible reads them (non-UTF-8 allowed in comment lines)."""
    if data.startswith(b"\xef\xbb\xbf"):  # Ansible would read U+FEFF as part of the first line
        return LintError(
            "MM604", "a UTF-8 byte order mark starts the file: Ansible would read it as part of "
            "the first line; save the file without it", None, 1, 1,
        )  # fmt: skip
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        pass
    lines: list[str] = []
    for number, raw in enumerate(data.splitlines(), 1):
        if raw[:1] in (b"#", b";"):
            lines.append("")
            continue
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            return LintError("MM604", f"not UTF-8: {exc.reason}", None, number, exc.start + 1)
    return lines


class IniReader:
    """Reads one INI file into a ``Reader`` (shared by every file of a directory inventory)."""

    def __init__(self, reader: Reader, path: str) -> None:
        self.reader = reader
        self.path = path
        self.line = 0
        self.lead = 0  # characters before the stripped line
        self.failed = False  # a line Ansible cannot parse (not a schema error)

    def error(self, message: str, index: int = 0) -> None:
        self.failed = True
        self.reader.errors.append(
            LintError("MM604", message, self.path, self.line, self.lead + index + 1)
        )

    def pos(self, index: int) -> Pos:
        return Pos(self.path, self.line, self.lead + index + 1)

    def read(self, lines: list[str]) -> None:
        groups = self.reader.groups
        pending: dict[str, tuple[str, int, list[str]]] = {}  # group -> state, line, parents
        group, state = "ungrouped", "hosts"
        for self.line, raw in enumerate(lines, 1):
            text = raw.strip()
            if not text or text[0] in _COMMENT_MARKERS:
                continue
            self.lead = len(raw) - len(raw.lstrip())
            m = _SECTION.match(text)
            if m:
                group, state = safe_group_name(m.group(1)), m.group(2) or "hosts"
                if state not in ("hosts", "children", "vars"):
                    self.error(f"Section [{m.group(1)}:{state}] has unknown type: {state}")
                    state = "skip"
                    continue
                if group not in groups:
                    if state == "vars" and group not in pending:
                        pending[group] = ("vars", self.line, [])
                    self.reader.group(group)
                if group in pending and state != "vars":
                    if pending[group][0] == "children":
                        self._add_pending_children(group, pending)
                    elif pending[group][0] == "vars":
                        del pending[group]
                continue
            if text.startswith("[") and text.endswith("]"):
                self.error(
                    f"Invalid section entry: '{text}'. Please make sure that there are no spaces "
                    "in the section entry, and that there are no other invalid characters"
                )
                state = "skip"
            elif state == "hosts":
                self._host_line(text, group)
            elif state == "vars":
                self._vars_line(text, group)
            elif state == "children":
                cm = _GROUP_NAME.match(text)
                if not cm:
                    self.error(f"Expected group name, got: {text}")
                    continue
                child = cm.group(1)
                if child not in groups:
                    if child not in pending:
                        pending[child] = ("children", self.line, [group])
                    else:
                        pending[child][2].append(group)
                else:
                    self._add_child(group, child)
        for name, (kind, line, parents) in pending.items():
            self.line, self.lead = line, 0
            if kind == "vars":
                self.error(f"Section [{name}:vars] not valid for undefined group '{name}'.")
            else:
                self.error(f"Section [{parents[-1]}:children] includes undefined group '{name}'.")

    def _add_pending_children(
        self, group: str, pending: dict[str, tuple[str, int, list[str]]]
    ) -> None:
        for parent in pending[group][2]:
            self._add_child(parent, group)
            if parent in pending and pending[parent][0] == "children":
                self._add_pending_children(parent, pending)
        del pending[group]

    def _add_child(self, parent: str, child: str) -> None:
        groups = self.reader.groups
        if parent == child or parent in descendants(groups, child):
            self.error(
                f"Adding group '{child}' as child to '{parent}' creates a recursive dependency loop."
            )
            return
        if child not in groups[parent].children:
            groups[parent].children.append(child)
        groups[child].parents.add(parent)

    def _vars_line(self, text: str, group: str) -> None:
        if "=" not in text:
            self.error(f"Expected key=value, got: {text}")
            return
        eq = text.index("=")
        key = text[:eq].strip()
        rest = text[eq + 1 :]
        start = eq + 1 + len(rest) - len(rest.lstrip())
        source = rest.strip()
        first = self.lead + start + 1
        columns = range(first, first + len(source))
        d = self._value(source, columns, self.pos(start))
        if d is None:
            return
        defs = {key: d}
        target = self.reader.groups[group]
        if key == "ansible_group_priority":
            msg = target.take_priority(defs)
            if msg is not None:
                self.error(msg, start)
            return
        self.reader.validate(defs, self.path, f"[{group}:vars]")
        target.vars.update(defs)

    def _host_line(self, text: str, group: str) -> None:
        try:
            tokens = split(text)
        except ShlexError as exc:
            self.error(f"Error parsing host definition '{text}': {exc}")
            return
        if not tokens:
            return
        try:
            names, port = expand_hostpattern(tokens[0].text)
        except PatternError as exc:
            self.error(str(exc), tokens[0].start)
            return
        defs: dict[str, VarDef] = {}
        for tok in tokens[1:]:
            if "=" not in tok.text:
                self.error(
                    f"Expected key=value host variable assignment, got: {tok.text}", tok.start
                )
                return
            key, source = tok.text.split("=", 1)
            base = self.lead + 1
            cols = [base + i for i in tok.index[len(key) + 1 :]]
            after_eq = self.lead + tok.index[len(key)] + 2
            vpos = Pos(self.path, self.line, cols[0] if cols else after_eq)
            d = self._value(source, cols, vpos)
            if d is None:
                return
            defs[key] = d
        self.reader.validate(defs, self.path, tokens[0].text)
        host_pos = self.pos(tokens[0].start)
        port_def = None
        if port is not None:
            digits = str(port)
            index = tokens[0].index[-len(digits)] if len(tokens[0].index) >= len(digits) else 0
            port_pos = self.pos(index)
            port_def = VarDef(port, port_pos, True)
        for name in names:
            self._add_host(name, group, host_pos, port_def, defs)

    def _add_host(
        self,
        name: str,
        group: str,
        pos: Pos,
        port: VarDef | None,
        defs: dict[str, VarDef],
    ) -> None:
        reader = self.reader
        if not name:
            self.error("Invalid empty host name provided: ")
            return
        if name not in reader.host_pos:
            reader.host_pos[name] = pos
            if port is not None:  # Ansible sets the port only where it first meets the host
                reader.host_vars.setdefault(name, {})["ansible_port"] = port
        reader.add_host(reader.groups[group], name)
        if name in reader.groups:  # Ansible's set_variable: a group of the same name gets them
            reader.groups[name].vars.update(defs)
        else:
            reader.host_vars.setdefault(name, {}).update(defs)

    def _value(self, source: str, columns: Sequence[int], pos: Pos) -> VarDef | None:
        try:
            value = parse_value(source)
        except ValueFailure as exc:
            self.failed = True
            self.reader.errors.append(
                LintError(
                    "MM604",
                    f"Ansible cannot read this value: {exc}",
                    self.path,
                    pos.line,
                    pos.column,
                )
            )
            return None
        return mapped(value, pos, _string_columns(value, source, columns))


def _string_columns(value: Any, source: str, columns: Sequence[int]) -> Sequence[int]:
    """Where each character of a string value is: its text as written, or inside plain quotes."""
    if not isinstance(value, str) or len(columns) != len(source):
        return ()
    if value == source:
        return columns
    quoted = len(source) >= 2 and source[0] in "'\"" and source[-1] == source[0]
    if quoted and source[1:-1] == value:
        return columns[1:-1]
    return ()


def descendants(groups: dict[str, Group], name: str) -> set[str]:
    """Every group below ``name``."""
    seen: set[str] = set()
    stack = [name]
    while stack:
        for child in groups[stack.pop()].children:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def read_ini(reader: Reader, data: bytes, path: str) -> bool:
    """Add the groups, hosts and variables of INI inventory ``data`` (file ``path``).

    False when a line could not be parsed (its errors are in ``reader.errors``; what was read
    before and after it stays, as in Ansible, which keeps what a failed source added).
    """
    lines = decode(data)
    if isinstance(lines, LintError):
        reader.errors.append(lines.located(path))
        return False
    ini = IniReader(reader, path)
    ini.read(lines)
    return not ini.failed
