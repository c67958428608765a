"""The engine side of the Ansible pre-flight (``memmap_lint.preflight.check``).

A :class:`CheckInput` is what one host of a play brings: the command line the play is about to
install (as a string, or as the ``/etc/default/grub`` or BLS entry text it will write), the next
kernel, the firmware map and the facts gathered by ``memmap_lint.preflight.facts``. ``check_hosts``
runs the same rules as ``memmap-lint lint`` on them, through the same ``pipeline.check``;
``fleet_hosts`` runs only the fleet rules (MM306...) over several hosts. No Ansible here: the
plugins are thin wrappers, and these functions are tested on their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from memmap_lint.bootconfig import parse_boot_text
from memmap_lint.bootconfig.view import BootView
from memmap_lint.captures.parse import Capture, capture_digest
from memmap_lint.collect.facts import HostFacts
from memmap_lint.collect.nextkernel import next_kernel
from memmap_lint.engine.bootlint import views
from memmap_lint.engine.collected import view_of
from memmap_lint.engine.config import Config
from memmap_lint.engine.findings import SEVERITIES, Finding, rank
from memmap_lint.engine.hostinput import (
    HostInput,
    Locator,
    Sources,
    boot_locator,
    build,
    entry_release,
    no_location,
    resolve_kernel,
)
from memmap_lint.engine.lint import Linter
from memmap_lint.engine.pipeline import check
from memmap_lint.engine.registry import load_rules, select, superseding
from memmap_lint.engine.results import HostResult
from memmap_lint.errors import LintError
from memmap_lint.inventory.model import Host, Pos
from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.e820 import U64, Entry
from memmap_lint.kernel.model import DIALECTS, PLACED, Simulation
from memmap_lint.kernel.release import Kernel
from memmap_lint.kernel.simulate import simulate
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Rule

__all__ = [
    "BOOT_ARGS",
    "FAIL_ON",
    "BootText",
    "CheckInput",
    "check_hosts",
    "complete_facts",
    "failing",
    "failure_message",
    "finding_line",
    "fleet_hosts",
    "host_input",
    "ram_note",
    "rules_for",
]

#: ``check`` arguments that carry a boot file's text: (boot config kind, default path).
BOOT_ARGS = {
    "grub_default": ("grub-default", "/etc/default/grub"),
    "bls_options": ("bls", "/boot/loader/entries/memmap-lint.conf"),
}

#: Values of ``fail_on``: a severity, or ``never`` (only report).
FAIL_ON = (*SEVERITIES, "never")

_CODE = "MM001"
_BLS_KEYS = re.compile(
    r"^\s*(title|version|machine-id|sort-key|linux|initrd|efi|options|devicetree|"
    r"devicetree-overlay|architecture|grub_users|grub_class|grub_arg)(\s|$)",
    re.M,
)


@dataclass(frozen=True)
class BootText:
    """A boot file the play will write: its kind (``grub-default``/``bls``), path and text."""

    kind: str
    path: str
    text: str

    @classmethod
    def from_arg(cls, arg: str, text: str, path: str | None = None) -> BootText:
        """The boot text of argument ``arg`` (a key of ``BOOT_ARGS``).

        ``bls_options`` is a BLS entry file; a text without any BLS key is taken as the value of
        its ``options`` line.
        """
        kind, default_path = BOOT_ARGS[arg]
        if kind == "bls" and _BLS_KEYS.search(text) is None:
            text = f"options {text.strip()}\n"
        return cls(kind, path or default_path, text)


@dataclass(frozen=True)
class CheckInput:
    """What one host brings to the check (everything already read; no paths left to open)."""

    host: str
    cmdline: str | None = None
    boot: BootText | None = None
    #: The next kernel: a release (``6.1.0-28-amd64``) or a dialect name (``stock``/``rfc``/...).
    kernel: str | None = None
    features: tuple[str, ...] = ()
    capture: Capture | None = None
    facts: HostFacts | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON form, returned by the per-host check so that the fleet pass can re-read it."""
        cap = self.capture
        return {
            "host": self.host,
            "cmdline": self.cmdline,
            "boot": None
            if self.boot is None
            else {"kind": self.boot.kind, "path": self.boot.path, "text": self.boot.text},
            "kernel": self.kernel,
            "features": list(self.features),
            "e820": None
            if cap is None
            else {
                "source": cap.source,
                "format": cap.format,
                "entries": [[e.start, e.size, e.type] for e in cap.entries],
                "setup_data": [[s, n] for s, n in cap.setup_data],
            },
            "facts": None if self.facts is None else self.facts.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: object) -> CheckInput:
        """Read ``to_dict``'s form back; LintError (MM001) naming what is wrong."""
        if not isinstance(data, Mapping):
            raise LintError(_CODE, "check input must be a mapping")
        host = data.get("host")
        if not isinstance(host, str) or not host:
            raise LintError(_CODE, "check input: 'host' must be a non-empty string")
        where = f"check input of {host}"
        cmdline = _opt_str(data.get("cmdline"), f"{where}: cmdline")
        kernel = _opt_str(data.get("kernel"), f"{where}: kernel")
        features = data.get("features") or []
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise LintError(_CODE, f"{where}: features must be a list of strings")
        boot = None
        raw_boot = data.get("boot")
        if raw_boot is not None:
            if not isinstance(raw_boot, Mapping) or not all(
                isinstance(raw_boot.get(k), str) for k in ("kind", "path", "text")
            ):
                raise LintError(_CODE, f"{where}: boot must have string kind, path and text")
            boot = BootText(raw_boot["kind"], raw_boot["path"], raw_boot["text"])
        capture = _capture_from(data.get("e820"), where)
        raw_facts = data.get("facts")
        facts = None if raw_facts is None else HostFacts.from_dict(raw_facts)
        return cls(host, cmdline, boot, kernel, tuple(features), capture, facts)


def _opt_str(value: object, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise LintError(_CODE, f"{what} must be a string")


def _u64(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= U64


def _capture_from(raw: object, where: str) -> Capture | None:
    if raw is None:
        return None
    bad = LintError(_CODE, f"{where}: e820 must hold source, format, entries and setup_data")
    if not isinstance(raw, Mapping):
        raise bad
    source, fmt = raw.get("source"), raw.get("format")
    entries, setup = raw.get("entries"), raw.get("setup_data")
    if not (isinstance(source, str) and isinstance(fmt, str)):
        raise bad
    if not isinstance(entries, list) or not isinstance(setup, list):
        raise bad
    if not all(isinstance(e, list) and len(e) == 3 and all(map(_u64, e)) for e in entries):
        raise bad
    if not all(isinstance(s, list) and len(s) == 2 and all(map(_u64, s)) for s in setup):
        raise bad
    return Capture(
        entries=tuple(Entry(s, n, t) for s, n, t in entries),
        setup_data=tuple((s, n) for s, n in setup),
        cmdline=None,
        user_map=None,
        panic=None,
        format=fmt,
        source=source,
        lines=(),
    )


def host_input(inp: CheckInput, now: datetime) -> HostInput:
    """Resolve one host: command line, kernel, map and facts, as ``memmap-lint lint`` would.

    The command line is ``cmdline``, else the default entry of ``boot``, else the next boot's
    command line in the gathered facts. The kernel is ``kernel`` (a release, or a dialect
    applied to the release otherwise known), else the BLS entry's kernel image, else the facts'
    next kernel. The map is ``capture``, else the facts' firmware map.
    """
    view = view_of(inp.facts, f"{inp.host}: memmap_lint facts", now) if inp.facts else None
    facts: dict[str, Any] = dict(view.facts) if view is not None else {}
    capture = inp.capture if inp.capture is not None else (view.capture if view else None)
    digest = capture_digest(capture) if capture is not None else None
    if inp.capture is not None and digest is not None:
        facts["profile"] = digest
        facts["capture"] = {"path": inp.capture.source, "digest": digest}
    locate: Locator = no_location
    boot: BootView | None = None
    release: str | None = None
    if inp.cmdline is not None:
        text = inp.cmdline
    elif inp.boot is not None:
        config = parse_boot_text(inp.boot.text, inp.boot.kind, inp.boot.path)
        boot = views(config, {inp.boot.path: inp.boot.text})[0]
        text = boot.entry.cmdline
        locate = boot_locator(boot, inp.boot.path)
        release = entry_release(boot.entry)
    elif view is not None:
        text = view.boot.text
        locate = view.locate(inp.host, no_location)
        facts["cmdline_source"] = view.boot.source
    else:
        raise LintError(
            _CODE,
            f"host {inp.host}: no command line to check: give cmdline, grub_default or "
            "bls_options, or gather memmap_lint.preflight.facts first",
        )
    if release is None and view is not None:
        release = view.next_kernel
        facts["kernel_source"] = view.kernel_source
    dialect = None
    if inp.kernel in DIALECTS:
        dialect = inp.kernel
    elif inp.kernel:
        release = inp.kernel
    where = inp.boot.path if inp.boot is not None else "cmdline"
    host = Host(inp.host, {}, (), Pos(where, 1, 1))
    sources = Sources(
        host, text, locate, release, inp.features, dialect, capture, digest, facts, boot
    )
    try:
        return build(sources)
    except ValueError as exc:
        raise LintError(_CODE, f"host {inp.host}: {exc}") from exc


def rules_for(selected: Sequence[str], ignored: Sequence[str], scope: str | None) -> list[Rule]:
    """The rules ``memmap-lint --select/--ignore`` would run, of one scope (None: all)."""
    rules = select(load_rules(), selected, ignored)
    return [r for r in rules if scope is None or r.scope == scope]


def check_hosts(
    inputs: Sequence[CheckInput],
    rules: Sequence[Rule],
    config: Config,
    now: datetime,
) -> list[HostResult]:
    """Each host checked with the host and fleet rules among ``rules``.

    Inline suppressions in the boot text count (``postprocess``), as on every path.
    """
    extra = superseding(load_rules(), rules)
    linter = Linter([*rules, *extra], config, hidden=frozenset(r.code for r in extra))
    return check(linter, [host_input(i, now) for i in inputs])


def fleet_hosts(
    inputs: Sequence[CheckInput], rules: Sequence[Rule], config: Config, now: datetime
) -> list[HostResult]:
    """Only the fleet rules of ``rules``, over every host of ``inputs`` at once."""
    fleet = [r for r in rules if r.scope == "fleet"]
    return check_hosts(inputs, fleet, config, now)


def failing(findings: Sequence[Finding], fail_on: str) -> list[Finding]:
    """The findings at or above ``fail_on`` (none for ``never``)."""
    if fail_on == "never":
        return []
    return [f for f in findings if rank(f.severity) >= rank(fail_on)]


def finding_line(f: Finding) -> str:
    """One finding as the CLI prints an error line: ``path:line:col: CODE message``."""
    where = f"{f.location}: " if f.location is not None else ""
    param = f" [{f.param}]" if f.param else ""
    return f"{where}{f.code} {f.severity} ({f.name}){param}: {f.message}"


def failure_message(result: HostResult, fail_on: str) -> str:
    """What a failed host shows: a head line, each finding on its own line in the CLI's words,
    and the usable RAM the command line leaves when it costs RAM."""
    bad = failing(result.findings, fail_on)
    head = (
        f"memmap-lint: {len(bad)} finding(s) at or above '{fail_on}' on {result.host}; "
        "the command line must not be installed:"
    )
    lines = [head, *(f"  {finding_line(f)}" for f in bad)]
    ram = ram_note(result)
    if ram is not None:
        lines.append(f"  {result.host}: {ram}")
    return "\n".join(lines)


def ram_note(result: HostResult) -> str | None:
    """``usable RAM: 11.6 MiB of 255.6 GiB (255.6 GiB lost)`` when the command line costs more
    RAM than the regions and ranges it reserves on purpose (a memory limit, a misread value)."""
    sim = result.simulation
    if sim is None or sim.panic:
        return None
    before = simulate(sim.firmware, parse(""), _kernel_of(sim), sim.setup_data).ram_total()
    after = sim.ram_total()
    meant = sum(r.size for r in sim.regions if r.status == PLACED and not r.approximate)
    meant += sum(size for _start, size, _param, _text in sim.reservations)
    if before - after <= meant:
        return None
    return f"usable RAM: {human(after)} of {human(before)} ({human(before - after)} lost)"


def _kernel_of(sim: Simulation) -> Kernel:
    return resolve_kernel(sim.kernel, (), sim.dialect)


def complete_facts(raw: object, address: str) -> HostFacts:
    """The facts module's output made whole on the controller: ``address`` and the next kernel
    (``ssh_nextkernel.next_kernel``, the SSH collector's own reading of the boot files).

    LintError (MM601) when ``raw`` does not match the facts schema.
    """
    facts = HostFacts.from_dict(raw)
    release, how = next_kernel(facts.boot_files, facts.boot_kernels, facts.kernel_release)
    return replace(facts, address=address, next_kernel=release, next_kernel_source=how)
