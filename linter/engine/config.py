"""Configuration: ``[tool.memmap-lint]`` in pyproject.toml or ``.memmap-lint.yaml``, found upward.

Keys (the same in both files; ``-`` and ``_`` are interchangeable)::

    select = ["MM1", "MM3"]          # codes, prefixes or slugs; default: all
    ignore = ["MM402"]
    severity = {MM305 = "info"}      # override a rule's default severity
    per-group-ignores = {lab = ["MM305", "MM306"]}
    fail-on = "warning"              # error | warning | info
    [tool.memmap-lint.thresholds]
    large-reservation-share = 0.10   # MM305
    low-memory-limit = "4G"          # MM304
    max-capture-age-days = 90        # MM603
    headroom = "64M"                 # early allocations the model cannot see (initrd, EFI...)
    [tool.memmap-lint.boot-files]    # hardware for boot files: glob (relative to this file) ->
    "etc/default/grub" = {e820 = "captures/r740.txt", kernel = "6.12.0-1-amd64"}
    "boot/loader/entries/*.conf" = {inventory = "inventory/prod.yaml", host = "db-01"}

``boot-files`` values take ``e820`` (a capture, relative to the config file), ``kernel``,
``kernel-features``, ``dialect``, ``hardware``, or ``inventory`` + ``host`` (that host's).
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memmap_lint.engine.findings import SEVERITIES
from memmap_lint.engine.options import Settings, parse_size
from memmap_lint.engine.registry import split_codes
from memmap_lint.errors import LintError
from memmap_lint.fileio import DEFAULT_CAPS, read_bytes, read_text, set_caps
from memmap_lint.rule import Thresholds

CONFIG_NAMES = (".memmap-lint.yaml", ".memmap-lint.yml", "pyproject.toml")

#: ``thresholds`` keys that are a rule's option: key -> (rule code, option name).
THRESHOLD_OPTIONS = {
    "large-reservation-share": ("MM305", "share"),
    "low-memory-limit": ("MM304", "limit"),
    "max-capture-age-days": ("MM603", "max-age-days"),
}


@dataclass(frozen=True)
class Config:
    """Settings from a config file (defaults when there is none)."""

    path: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    group_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fail_on: str | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    #: Rule options as written: rule code or slug -> option name -> value (``engine.options``).
    rules: Settings = field(default_factory=dict)
    #: Glob of boot files (relative to the config file) -> hardware profile (linter/engine/bootlint.py).
    boot_files: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Size caps per kind of input file (fileio.DEFAULT_CAPS), bytes.
    max_file_size: Mapping[str, int] = field(default_factory=dict)


def find_config(start: Path) -> Path | None:
    """The nearest config file in ``start`` or its parents (pyproject only with the table)."""
    folder = start if start.is_dir() else start.parent
    for d in (folder.resolve(), *folder.resolve().parents):
        for name in CONFIG_NAMES:
            candidate = d / name
            try:
                if not candidate.is_file():
                    continue
                if name == "pyproject.toml" and b"memmap-lint" not in read_bytes(
                    candidate, "config", "MM003"
                ):
                    continue
            except (OSError, LintError):  # a folder or file we may not read holds no config
                continue
            return candidate
    return None


def _did_you_mean(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _codes(value: Any, key: str, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(split_codes([value]))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise LintError("MM003", f"{key}: expected a list of rule codes", path)


def parse_config(data: Mapping[str, Any], path: str) -> Config:
    """Validate the settings mapping; MM003 names the bad key."""
    norm = {str(k).replace("_", "-"): v for k, v in data.items()}
    known = {
        "select",
        "ignore",
        "severity",
        "per-group-ignores",
        "fail-on",
        "thresholds",
        "rules",
        "boot-files",
        "max-file-size",
    }
    for key in norm:
        if key not in known:
            raise LintError(
                "MM003",
                f"unknown setting '{key}' (known: {', '.join(sorted(known))})"
                + _did_you_mean(key, known),
                path,
            )
    severity = norm.get("severity", {}) or {}
    if not isinstance(severity, dict) or any(v not in SEVERITIES for v in severity.values()):
        raise LintError("MM003", "severity: expected a table of CODE = error|warning|info", path)
    groups = norm.get("per-group-ignores", {}) or {}
    if not isinstance(groups, dict):
        raise LintError("MM003", "per-group-ignores: expected a table of GROUP = [codes]", path)
    fail_on = norm.get("fail-on")
    if fail_on is not None and fail_on not in SEVERITIES:
        raise LintError("MM003", "fail-on: expected error, warning or info", path)
    raw = norm.get("thresholds") or {}
    if not isinstance(raw, dict):
        raise LintError("MM003", "thresholds: expected a table of NAME = value", path)
    th = {str(k).replace("_", "-"): v for k, v in raw.items()}
    thresholds = Thresholds(
        headroom=parse_size(th.pop("headroom", Thresholds().headroom), "headroom", path)
    )
    rules: dict[str, dict[str, Any]] = {}
    for key in [k for k in th if k in THRESHOLD_OPTIONS]:
        code, name = THRESHOLD_OPTIONS[key]
        rules.setdefault(code, {})[name] = th.pop(key)
    if th:
        raise LintError(
            "MM003",
            f"thresholds: unknown setting(s) {', '.join(sorted(th))}"
            + _did_you_mean(sorted(th)[0], ["headroom", *THRESHOLD_OPTIONS]),
            path,
        )
    table = norm.get("rules") or {}
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise LintError("MM003", "rules: expected a table of CODE = {option = value}", path)
    for key, values in table.items():
        mine = rules.setdefault(str(key), {})
        mine.update({str(k).replace("_", "-"): v for k, v in values.items()})
    return Config(
        path=path,
        select=_codes(norm.get("select", []), "select", path),
        ignore=_codes(norm.get("ignore", []), "ignore", path),
        severity={str(k).upper(): str(v) for k, v in severity.items()},
        group_ignores={
            str(g): _codes(v, f"per-group-ignores.{g}", path) for g, v in groups.items()
        },
        fail_on=fail_on,
        thresholds=thresholds,
        rules=rules,
        boot_files=_boot_files(norm.get("boot-files") or {}, path),
        max_file_size=_file_sizes(norm.get("max-file-size") or {}, path),
    )


def _file_sizes(value: Any, path: str) -> dict[str, int]:
    """``max-file-size``: KIND = size, for the kinds fileio reads (inventory, capture...)."""
    if not isinstance(value, dict):
        raise LintError("MM003", "max-file-size: expected a table of KIND = size", path)
    out: dict[str, int] = {}
    for kind, size in value.items():
        if kind not in DEFAULT_CAPS:
            raise LintError(
                "MM003",
                f"max-file-size: unknown kind '{kind}' (known: {', '.join(sorted(DEFAULT_CAPS))})"
                + _did_you_mean(str(kind), DEFAULT_CAPS),
                path,
            )
        out[kind] = parse_size(size, f"max-file-size.{kind}", path)
    return out


_PROFILE_KEYS = {"e820", "kernel", "kernel-features", "dialect", "hardware", "inventory", "host"}


def _boot_files(value: Any, path: str) -> dict[str, dict[str, Any]]:
    """``boot-files``: glob -> {e820, kernel, kernel-features, dialect, hardware} or
    {inventory, host}; keys normalized to underscores."""
    if not isinstance(value, dict):
        raise LintError("MM003", "boot-files: expected a table of GLOB = {e820, kernel, ...}", path)
    out: dict[str, dict[str, Any]] = {}
    for glob, spec in value.items():
        if not isinstance(spec, dict):
            raise LintError("MM003", f"boot-files.{glob}: expected a table", path)
        norm = {str(k).replace("_", "-"): v for k, v in spec.items()}
        unknown = sorted(set(norm) - _PROFILE_KEYS)
        if unknown:
            raise LintError(
                "MM003",
                f"boot-files.{glob}: unknown key(s) {', '.join(unknown)} "
                f"(known: {', '.join(sorted(_PROFILE_KEYS))})",
                path,
            )
        if ("inventory" in norm) != ("host" in norm):
            raise LintError("MM003", f"boot-files.{glob}: inventory and host go together", path)
        out[str(glob)] = {k.replace("-", "_"): v for k, v in norm.items()}
    return out


def _compose(text: str) -> Any:
    """The node graph of a YAML config: libyaml first (it refuses deep nesting at once, where
    the pure-Python parser spends seconds), the pure-Python parser for its error messages."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        try:
            return yaml.compose(text, Loader=loader)
        except yaml.MarkedYAMLError as exc:
            if "nesting depth" in str(exc.problem):
                raise
    return yaml.compose(text, Loader=yaml.SafeLoader)


def load_config(path: Path) -> Config:
    """Read one config file (its ``max-file-size`` then applies to every later read)."""
    label = str(path)
    text = read_text(path, "config", "MM003")
    # yaml and tomllib only for a config file there is (a run without one loads neither)
    if path.suffix == ".toml":
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc).split(" (at line")[0]
            line, col = getattr(exc, "lineno", None), getattr(exc, "colno", None)
            raise LintError("MM003", f"invalid TOML: {message}", label, line, col) from exc
        except (ValueError, RecursionError) as exc:  # a 5000-digit integer, deep nesting
            raise LintError("MM003", f"invalid TOML: {str(exc)[:100]}", label) from None
        tool = data.get("tool", {})
        section = tool.get("memmap-lint", {}) if isinstance(tool, dict) else None
        if not isinstance(section, dict):
            raise LintError("MM003", "[tool.memmap-lint] must be a table", label)
    else:
        import yaml
        from memmap_lint.inventory.yamlpos import value

        try:
            root = _compose(text)
            section = value(root, label) if root is not None else {}
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "not YAML"
            raise LintError(
                "MM003",
                f"invalid YAML: {problem}",
                label,
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
            ) from exc
        except yaml.YAMLError as exc:
            raise LintError("MM003", f"invalid YAML: {exc}", label) from exc
        except RecursionError:
            raise LintError("MM003", "invalid YAML: nested too deeply", label) from None
        except LintError as exc:  # bounded values, duplicate keys (yamlbounds.check_node)
            raise LintError("MM003", exc.message, label, exc.line, exc.column) from None
    if not isinstance(section, dict):
        raise LintError("MM003", "the configuration must be a mapping", label)
    config = parse_config(section, label)
    set_caps(config.max_file_size)
    return config
