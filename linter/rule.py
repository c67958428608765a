"""What a rule is: a module with a code, a slug, a severity, a four-part docstring and a check.

A rule module in ``rules/`` (or in ``--rules-dir``, or behind the ``memmap_lint.rules`` entry
point) defines::

    CODE = "MM301"
    NAME = "region-does-not-fit"
    SEVERITY = "error"          # error | warning | info
    SCOPE = "host"              # host (check(ctx: HostContext)) or fleet (check(ctx: FleetContext))
    NEEDS_E820 = True           # False: runs on a bare command line too (pre-commit without hardware)
    SUPERSEDES = ("MM109",)     # optional: rules whose finding on the same parameter this replaces
    OPTIONS = (Option("limit", 1 << 32, "regions below this are reported", "size"),)  # optional

    def check(ctx) -> Iterable[Hit]: ...   # ctx.options["limit"]: the value the config set

and its docstring holds four sections: "What it finds", "Why it matters", "Example", "How to fix".
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from memmap_lint.bootconfig.view import BootView
from memmap_lint.engine.findings import SEVERITIES, Location
from memmap_lint.kernel.cmdline import Cmdline, Param
from memmap_lint.kernel.model import Simulation
from memmap_lint.kernel.release import Kernel
from memmap_lint.quickinit import quick_init

DOC_SECTIONS = ("What it finds", "Why it matters", "Example", "How to fix")


@dataclass(frozen=True, slots=True)
class Hit:
    """One problem a rule found.

    ``param`` is the parameter it concerns; ``offset`` the character in the command line to point
    at (default: the parameter's start); ``text`` the parameter as written when it is a part of
    one (a memmap piece). ``host`` names another host (fleet rules).
    """

    message: str
    param: Param | None = None
    offset: int | None = None
    text: str | None = None
    severity: str | None = None
    host: str | None = None

    def shown(self) -> str:
        if self.text is not None:
            return self.text
        return self.param.raw if self.param else ""


@dataclass(frozen=True)
class Thresholds:
    """Settings of the kernel model (``[tool.memmap-lint.thresholds]``); a rule's own limits are
    its :class:`Option` values."""

    #: Memory ``setup_arch()`` takes from memblock before ``reserve_mem=`` runs.
    headroom: int = 64 << 20

    def key(self) -> tuple[Any, ...]:
        return (self.headroom,)


OPTION_KINDS = ("int", "float", "size")


@dataclass(frozen=True)
class Option:
    """A setting of one rule: ``[tool.memmap-lint.rules.CODE] name = value`` in the config.

    ``kind``: ``int`` (a whole number >= 0), ``float``, or ``size`` (bytes, or ``64M``/``4G``).
    """

    name: str
    default: Any
    help: str
    kind: str = "int"

    def kind_text(self) -> str:
        """What a value of this kind looks like, in words."""
        return {"int": "a whole number", "float": "a number", "size": "a size such as 64M"}[
            self.kind
        ]


@quick_init
@dataclass(frozen=True)
class HostContext:
    """What a host rule sees. ``sim`` is None when the host has no e820 map."""

    host: str
    cmdline: Cmdline
    kernel: Kernel
    sim: Simulation | None
    thresholds: Thresholds = field(default_factory=Thresholds)
    facts: Mapping[str, Any] = field(default_factory=dict)
    #: Maps a command-line character offset to its place in a file (offset None: the host's own
    #: place, e.g. its line in the inventory; result None: no file).
    locate: Callable[[int | None], Location | None] = field(default=lambda _offset: None)
    #: The boot configuration entry this host's command line comes from (MM5xx rules), if any.
    boot: BootView | None = None
    #: The running rule's option values (its ``OPTIONS``, as the config set them).
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FleetContext:
    """What a fleet rule sees: every host of the run that has a simulation."""

    hosts: tuple[HostContext, ...]
    thresholds: Thresholds = field(default_factory=Thresholds)
    #: The running rule's option values (its ``OPTIONS``, as the config set them).
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """A loaded rule module."""

    code: str
    name: str
    severity: str
    scope: str
    needs_e820: bool
    doc: str
    check: Callable[[Any], Iterable[Hit]]
    origin: str
    #: Codes of the rules whose finding on the same parameter this rule's finding replaces.
    supersedes: tuple[str, ...] = ()
    #: The settings the rule takes, with their defaults.
    options: tuple[Option, ...] = ()

    @property
    def summary(self) -> str:
        """The docstring's first line: a one-line title of what the rule finds."""
        return self.doc.splitlines()[0].strip() if self.doc else ""

    def section(self, title: str) -> str:
        """The text of one of the four doc sections."""
        lines = self.doc.splitlines()
        out: list[str] = []
        inside = False
        for line in lines:
            stripped = line.strip()
            if stripped.rstrip(":") in DOC_SECTIONS:
                inside = stripped.rstrip(":") == title
                continue
            if inside:
                out.append(line)
        return "\n".join(out).strip()


class RuleError(Exception):
    """A rule module that does not follow the contract."""


def rule_from_module(module: types.ModuleType) -> Rule:
    """Validate a module against the rule contract and wrap it."""
    origin = getattr(module, "__file__", None) or module.__name__
    try:
        code = module.CODE
        name = module.NAME
        severity = module.SEVERITY
        check = module.check
    except AttributeError as exc:
        raise RuleError(f"{origin}: not a rule module ({exc})") from exc
    scope = getattr(module, "SCOPE", "host")
    if severity not in SEVERITIES:
        raise RuleError(f"{origin}: SEVERITY must be one of {', '.join(SEVERITIES)}")
    if scope not in ("host", "fleet"):
        raise RuleError(f"{origin}: SCOPE must be host or fleet")
    supersedes = getattr(module, "SUPERSEDES", ())
    if not isinstance(supersedes, tuple) or not all(isinstance(c, str) for c in supersedes):
        raise RuleError(f"{origin}: SUPERSEDES must be a tuple of rule codes")
    options = getattr(module, "OPTIONS", ())
    if not isinstance(options, tuple) or not all(
        isinstance(o, Option) and o.kind in OPTION_KINDS for o in options
    ):
        raise RuleError(f"{origin}: OPTIONS must be a tuple of Option ({', '.join(OPTION_KINDS)})")
    doc = (module.__doc__ or "").strip()
    missing = [s for s in DOC_SECTIONS if s not in doc]
    if missing:
        raise RuleError(f"{origin}: the docstring lacks {', '.join(missing)}")
    return Rule(
        code=str(code),
        name=str(name),
        severity=str(severity),
        scope=str(scope),
        needs_e820=bool(getattr(module, "NEEDS_E820", True)),
        doc=doc,
        check=check,
        origin=origin,
        supersedes=supersedes,
        options=options,
    )
