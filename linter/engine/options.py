"""Rule options: each rule's ``OPTIONS`` with their defaults, set per rule in the config.

``[tool.memmap-lint.rules.MM305] share = 0.2`` (or ``rules: {MM305: {share: 0.2}}`` in
``.memmap-lint.yaml``; a rule by code or slug). The rule reads the values as ``ctx.options``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from memmap_lint.errors import LintError
from memmap_lint.kernel.sizes import memparse
from memmap_lint.rule import Option, Rule

#: Rule settings: rule code or slug -> option name -> value as written.
Settings = Mapping[str, Mapping[str, Any]]


def parse_size(value: Any, key: str, path: str | None) -> int:
    """Bytes in ``value``: a whole number, or a size such as ``64M`` (the kernel's memparse)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        parsed = memparse(value)
        if parsed.consumed and parsed.end == len(value):
            return parsed.value
    raise LintError("MM003", f"{key}: expected a size such as 64M, got {value!r}", path)


def _value(option: Option, value: Any, key: str, path: str | None) -> Any:
    if option.kind == "size":
        return parse_size(value, key, path)
    number = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value))
    )
    if option.kind == "float" and number:
        return float(value)
    if option.kind == "int" and number and value == int(value) and value >= 0:
        return int(value)
    raise LintError("MM003", f"{key}: expected {option.kind_text()}, got {value!r}", path)


def rule_options(
    rules: Sequence[Rule], settings: Settings, path: str | None = None, strict: bool = True
) -> dict[str, dict[str, Any]]:
    """The option values of each rule that has options: its defaults, overlaid by ``settings``.

    ``strict``: a setting for a rule not among ``rules`` is an error (MM003) too; an unknown
    option of a known rule always is.
    """
    out = {r.code: {o.name: o.default for o in r.options} for r in rules if r.options}
    for key, values in settings.items():
        rule = next((r for r in rules if r.code == str(key).upper() or r.name == key), None)
        if rule is None:
            if strict:
                raise LintError(
                    "MM003", f"rules.{key}: no rule {key} (see memmap-lint rules)", path
                )
            continue
        for name, raw in values.items():
            option = next((o for o in rule.options if o.name == name), None)
            if option is None:
                takes = ", ".join(o.name for o in rule.options) or "none"
                raise LintError(
                    "MM003",
                    f"rules.{key}: {rule.code} has no option {name!r} (options: {takes})",
                    path,
                )
            out[rule.code][name] = _value(option, raw, f"rules.{key}.{name}", path)
    return out
