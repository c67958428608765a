"""Hand-written maps: a YAML or JSON list of ``{start, end | size, type}`` entries.

``start``/``end`` are byte addresses, ``end`` inclusive as the kernel prints it (``size`` may be
given instead); both are integers or strings holding a decimal or ``0x`` hexadecimal integer
(JSON has no hexadecimal literals). ``type`` is a name the kernel prints (``usable``,
``reserved``, ``ACPI data``, ``System RAM``, ``type 20``...) or the type number. The list may
also sit under an ``e820:`` key next to an optional ``cmdline:`` string. YAML is read with
``yaml.CSafeLoader`` when libyaml is there, else ``yaml.SafeLoader``.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from memmap_lint.captures.model import Capture, capture_error, no_map_error
from memmap_lint.errors import LintError
from memmap_lint.kernel.e820 import U32, U64, Entry, parse_type_name
from memmap_lint.yamlbounds import check_node

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ENTRY_KEYS = {"start", "end", "size", "type"}
_TOP_KEYS = {"e820", "cmdline"}

#: (line, column) of a node, 1-based; (None, None) when unknown.
_Mark = tuple[int | None, int | None]


def looks_like_data(text: str) -> bool:
    """True when the first meaningful line starts a YAML/JSON list or mapping of entries.

    A ``[`` must open a flow list of mappings (``[{``), an empty list or a line of its own: a
    kernel log line starts with ``[`` too (``[    0.000000] ...``).
    """
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or line.startswith("#") or line == "---":
            continue
        if line.startswith("["):
            rest = line[1:].lstrip()
            return rest == "" or rest.startswith(("{", "]"))
        return line.startswith(("-", "{", "e820:", "cmdline:"))
    return False


def _mark(node: yaml.Node | None) -> _Mark:
    if node is None:
        return (None, None)
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _clamped(text: str, line: int, column: int) -> tuple[int, int]:
    """A parser's position, moved back onto the text when it points past the end."""
    lines = text.split("\n")
    if line > len(lines):
        return len(lines), len(lines[-1]) + 1
    return line, column


def _yaml_document(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """The constructed document and its node tree, from one parse."""
    try:
        loader = _Loader(text)
    except UnicodeEncodeError:  # a lone surrogate: libyaml takes UTF-8 only
        raise capture_error("invalid YAML: not UTF-8 text", source) from None
    try:
        node = loader.get_single_node()
        if node is not None:
            check_node(node, source)
        data = loader.construct_document(node) if node is not None else None
    except LintError as err:  # yamlbounds: alias expansion, depth, long numbers, duplicates
        raise capture_error(err.message, source, err.line, err.column) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = _clamped(text, mark.line + 1, mark.column + 1) if mark else (None, None)
        raise capture_error(f"invalid YAML: {err.problem or err}", source, line, column) from None
    except yaml.YAMLError as err:
        raise capture_error(f"invalid YAML: {err}", source) from None
    except (ValueError, OverflowError, RecursionError, TypeError) as err:
        # SafeConstructor: integers beyond int's digit limit, deep nesting, unhashable keys.
        raise capture_error(f"invalid YAML: {err}", source) from None
    finally:
        loader.dispose()
    return data, node


def _json_document(text: str, source: str) -> tuple[Any, yaml.Node | None] | None:
    """JSON data (with YAML's node tree for locations when YAML reads the text too), or None
    when the text is not JSON."""
    if not text.lstrip().startswith(("[", "{")):
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    node: yaml.Node | None = None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, ValueError, RecursionError):
        node = None
    return data, node


def _json_error(text: str, source: str) -> LintError | None:
    """The JSON parser's located error for text that starts like JSON, else None."""
    if not text.lstrip().startswith(("[", "{")):
        return None
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        return capture_error(f"invalid JSON: {err.msg}", source, err.lineno, err.colno)
    except (ValueError, RecursionError) as err:
        return capture_error(f"invalid JSON: {err}", source)
    return None


def _children(node: yaml.Node | None, data: Any) -> list[yaml.Node | None]:
    """The node of each list item (aligned with ``data``), or Nones."""
    if isinstance(node, yaml.SequenceNode) and len(node.value) == len(data):
        return list(node.value)
    return [None] * len(data)


def _members(node: yaml.Node | None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Key -> (key node, value node) of a mapping node (the last one wins, as when loading)."""
    found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                found[key.value] = (key, value)
    return found


def _integer(value: Any, what: str, source: str, at: _Mark) -> int:
    if isinstance(value, bool):
        raise capture_error(f"{what}: expected an integer, got {value!r}", source, *at)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            if text[:2].lower() == "0x" and len(text) <= 2 + 16:
                number = int(text[2:], 16)
            elif text.isdigit() and len(text) <= 20:
                number = int(text)
            else:
                raise ValueError(text)
        except ValueError:
            raise capture_error(
                f"{what}: expected a decimal or 0x-hexadecimal integer, got {value[:40]!r}",
                source,
                *at,
            ) from None
    else:
        raise capture_error(f"{what}: expected an integer, got {type(value).__name__}", source, *at)
    if not 0 <= number <= U64:
        raise capture_error(f"{what}: {number} is outside 0..2**64-1", source, *at)
    return number


def _entry_type(value: Any, what: str, source: str, at: _Mark) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= U32:
            raise capture_error(f"{what}: type {value} is outside 0..2**32-1", source, *at)
        return value
    if isinstance(value, str):
        etype = parse_type_name(value)
        if etype is not None:
            return etype
        raise capture_error(f"{what}: unknown e820 type name {value[:40]!r}", source, *at)
    raise capture_error(f"{what}: expected a type name or number", source, *at)


def _entry(item: Any, node: yaml.Node | None, index: int, source: str) -> Entry:
    what = f"entry {index}"
    at = _mark(node)
    if not isinstance(item, dict):
        raise capture_error(f"{what}: expected a mapping with start, end/size, type", source, *at)
    members = _members(node)

    def mark_of(key: str) -> _Mark:
        return _mark(members[key][1]) if key in members else at

    unknown = sorted(str(key) for key in item if key not in _ENTRY_KEYS)
    if unknown:
        bad = unknown[0]
        where = _mark(members[bad][0]) if bad in members else at
        raise capture_error(
            f"{what}: unknown key {bad[:40]!r} (expected start, end or size, type)",
            source,
            *where,
        )
    for key in ("start", "type"):
        if key not in item:
            raise capture_error(f"{what}: missing {key}", source, *at)
    if ("end" in item) == ("size" in item):
        raise capture_error(f"{what}: give exactly one of end (inclusive) and size", source, *at)
    start = _integer(item["start"], f"{what} start", source, mark_of("start"))
    etype = _entry_type(item["type"], f"{what} type", source, mark_of("type"))
    if "end" in item:
        last = _integer(item["end"], f"{what} end", source, mark_of("end"))
        if last < start:
            raise capture_error(
                f"{what}: end {last:#x} is below start {start:#x} (end is inclusive)",
                source,
                *mark_of("end"),
            )
        return Entry(start, last - start + 1, etype)
    size = _integer(item["size"], f"{what} size", source, mark_of("size"))
    if start + size > U64 + 1:
        raise capture_error(f"{what}: start + size is beyond 2**64", source, *mark_of("size"))
    return Entry(start, size, etype)


def parse_data(text: str, source: str) -> Capture:
    """Parse a JSON or YAML list of entries; see the module docstring.

    Text that is valid JSON is read as JSON; otherwise as YAML. When both fail on text that
    starts like JSON, the JSON parser's error is reported.
    """
    as_json = False
    parsed = _json_document(text, source)
    if parsed is not None:
        as_json = True
        data, node = parsed
    else:
        try:
            data, node = _yaml_document(text, source)
        except LintError:
            json_error = _json_error(text, source)
            if json_error is not None:
                raise json_error from None
            raise
    cmdline: str | None = None
    items = data
    if isinstance(data, dict):
        members = _members(node)
        unknown = sorted(str(key) for key in data if key not in _TOP_KEYS)
        if unknown:
            bad = unknown[0]
            where = _mark(members[bad][0]) if bad in members else (1, 1)
            raise capture_error(
                f"unknown key {bad[:40]!r} (expected e820 and optionally cmdline)", source, *where
            )
        if "e820" not in data:
            raise no_map_error(source)
        items = data["e820"]
        node = members["e820"][1] if "e820" in members else None
        if "cmdline" in data:
            value = data["cmdline"]
            if not isinstance(value, str):
                where = _mark(members["cmdline"][1]) if "cmdline" in members else (1, 1)
                raise capture_error("cmdline: expected a string", source, *where)
            cmdline = value
    if not isinstance(items, list):
        if items is None or isinstance(items, (str, int, float)):
            raise no_map_error(source)
        raise capture_error("expected a list of e820 entries", source, *_mark(node))
    if not items:
        raise no_map_error(source)
    entries: list[Entry] = []
    lines: list[int] = []
    for index, (item, child) in enumerate(zip(items, _children(node, items), strict=True)):
        entries.append(_entry(item, child, index, source))
        lines.append(_mark(child)[0] or 0)
    return Capture.map_only(entries, "json" if as_json else "yaml", source, lines, cmdline)
