"""Findings: what a rule reports, with where it comes from."""

from __future__ import annotations

from dataclasses import dataclass, field

from memmap_lint.quickinit import quick_init

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)
_RANK = {ERROR: 3, WARNING: 2, INFO: 1}


def rank(severity: str) -> int:
    """Order of severities: error > warning > info."""
    return _RANK[severity]


@quick_init
@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file (1-based line and column)."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        text = self.path
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


@quick_init
@dataclass(frozen=True, slots=True)
class Finding:
    """One problem on one host: ``param`` is the parameter as written (empty when none)."""

    code: str
    name: str
    severity: str
    host: str
    message: str
    param: str = ""
    location: Location | None = None
    group: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        """The finding as the JSON report writes it (the JSON report contract in README.md)."""
        data: dict[str, object] = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "host": self.host,
            "message": self.message,
            "param": self.param,
            "path": self.location.path if self.location else None,
            "line": self.location.line if self.location else None,
            "column": self.location.column if self.location else None,
        }
        return data

    def sort_key(self) -> tuple[str, int, str, int, int]:
        loc = self.location
        return (
            self.host,
            -rank(self.severity),
            self.code,
            (loc.line or 0) if loc else 0,
            (loc.column or 0) if loc else 0,
        )
