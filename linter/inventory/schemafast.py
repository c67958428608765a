"""A fast "certainly valid" test for the simple JSON Schemas of inventory variables.

jsonschema costs tens of microseconds per mapping, which is most of the time of a 100k-host
inventory. ``compile_valid(schema)`` turns a schema made of the keywords below into a predicate
that says True only when the instance is valid under JSON Schema 2020-12; False means "not
sure", and the caller then asks jsonschema, which gives the exact errors. A schema with any other
keyword compiles to None (always ask jsonschema).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_NOTES = frozenset({"description", "title", "$comment", "examples", "default"})
_KNOWN = (
    frozenset(
        {
            "type",
            "minLength",
            "pattern",
            "enum",
            "items",
            "minimum",
            "maximum",
            "properties",
            "additionalProperties",
        }
    )
    | _NOTES
)


def _is_type(name: str, v: Any) -> bool:
    # Stricter than JSON Schema where that is simpler (1.0 is not taken as an integer): a miss
    # only sends the value to jsonschema.
    t = type(v)
    if name == "string":
        return t is str
    if name == "integer":
        return t is int
    if name == "number":
        return t is int or t is float
    if name == "boolean":
        return t is bool
    if name == "array":
        return t is list
    if name == "object":
        return t is dict and all(type(k) is str for k in v)
    if name == "null":
        return v is None
    return False


def compile_valid(schema: Mapping[str, Any]) -> Check | None:
    """A predicate that is True only for instances valid under ``schema``; None if unsupported."""
    if not set(schema) <= _KNOWN:
        return None
    checks: list[Check] = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        names = tuple(str(t) for t in types)
        if names == ("string",) and set(schema) - _NOTES == {"type", "minLength"}:
            least = int(schema["minLength"])  # the most common: one call instead of three
            return lambda v: type(v) is str and len(v) >= least
        if names == ("string",):
            checks.append(lambda v: type(v) is str)
        else:
            checks.append(lambda v: any(_is_type(n, v) for n in names))
    if "enum" in schema:
        allowed = list(schema["enum"])
        if not all(type(a) is str for a in allowed):
            return None
        checks.append(lambda v: type(v) is str and v in allowed)
    if "minLength" in schema:
        least = int(schema["minLength"])
        checks.append(lambda v: type(v) is not str or len(v) >= least)
    if "pattern" in schema:
        pattern = re.compile(schema["pattern"])
        checks.append(lambda v: type(v) is not str or pattern.search(v) is not None)
    for key, cmp in (("minimum", lambda v, b: v >= b), ("maximum", lambda v, b: v <= b)):
        if key in schema:
            bound = schema[key]

            def in_range(v: Any, bound: Any = bound, cmp: Any = cmp) -> bool:
                return type(v) not in (int, float) or bool(cmp(v, bound))

            checks.append(in_range)
    if "items" in schema:
        item = compile_valid(schema["items"])
        if item is None:
            return None
        checks.append(lambda v: type(v) is not list or all(item(x) for x in v))
    if "properties" in schema or "additionalProperties" in schema:
        props = _property_checks(schema)
        if props is None:
            return None
        checks.append(lambda v: type(v) is not dict or _properties_valid(props, v))
    return _all_of(checks)


def compile_members(schema: Mapping[str, Any]) -> dict[str, Check] | None:
    """The check of each property of a mapping schema that allows other properties: a dict with
    string keys is valid when every member that has a check passes it (True is "certainly", as
    for ``compile_valid``). None when the schema says more than its properties' own schemas."""
    if not set(schema) <= {"type", "properties", "additionalProperties"} | _NOTES:
        return None
    types = schema.get("type", "object")
    if "object" not in (types if isinstance(types, list) else [types]):
        return None
    return _property_checks(schema)


def _property_checks(schema: Mapping[str, Any]) -> dict[str, Check] | None:
    """Each property's check, when other properties are allowed and every one compiles."""
    if schema.get("additionalProperties", True) is not True:
        return None
    checks: dict[str, Check] = {}
    for name, sub in schema.get("properties", {}).items():
        check = compile_valid(sub)
        if check is None:
            return None
        checks[name] = check
    return checks


def _properties_valid(props: dict[str, Check], v: dict[Any, Any]) -> bool:
    for k, x in v.items():
        check = props.get(k)
        if check is not None and not check(x):
            return False
    return True


def _all_of(checks: list[Check]) -> Check:
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)

    def every(v: Any) -> bool:
        return all(c(v) for c in checks)

    return every
