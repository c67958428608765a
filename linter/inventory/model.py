"""The inventory as memmap-lint keeps it: hosts, groups and variables with their positions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from memmap_lint.quickinit import quick_init

GROUP_KEYS = ("vars", "hosts", "children")


@quick_init
@dataclass(frozen=True, slots=True)
class Pos:
    """Where a node starts (1-based) and how its scalar was written (``style``)."""

    path: str
    line: int
    column: int
    style: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class VarDef:
    """A variable's value and where it was written (``pos``: its value's first character)."""

    value: Any
    pos: Pos
    single_line: bool

    def column_of(self, offset: int) -> tuple[int, int]:
        """The line and column of character ``offset`` of a string value (exact on one line)."""
        if self.single_line and self.pos.style in (None, "'", '"'):
            return self.pos.line, self.pos.column + offset
        return self.pos.line, self.pos.column


@dataclass
class Group:
    name: str
    vars: dict[str, VarDef] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    parents: set[str] = field(default_factory=set)
    #: ``ansible_group_priority`` (not kept as a var): orders groups of one depth before names
    priority: int = 1

    def take_priority(self, defs: dict[str, VarDef]) -> str | None:
        """Move ``ansible_group_priority`` out of ``defs`` into ``priority`` (Ansible's
        ``int()``); the error's text when it is not an integer."""
        d = defs.pop("ansible_group_priority", None)
        if d is None:
            return None
        try:
            self.priority = int(d.value)
        except (TypeError, ValueError, OverflowError) as exc:
            return f"ansible_group_priority: {exc}"
        return None


@quick_init
@dataclass(frozen=True)
class Host:
    """A host with its merged variables and the groups it belongs to (``all`` first)."""

    name: str
    vars: dict[str, VarDef]
    groups: tuple[str, ...]
    pos: Pos

    def get(self, key: str, default: Any = None) -> Any:
        d = self.vars.get(key)
        return default if d is None else d.value


@dataclass(frozen=True)
class Inventory:
    path: str
    hosts: dict[str, Host]
    groups: dict[str, Group]
