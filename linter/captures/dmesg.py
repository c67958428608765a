"""Kernel boot logs: the firmware e820 map and what the same boot says about it.

What is read (any line prefix: printk timestamps, caller ids, syslog/journal headers, ``<N>``
levels, indentation, trailing padding; the marker is searched anywhere in the line):

- ``BIOS-e820:`` lines (also ``BIOS-e801:``/``BIOS-88:``, the kernel's fallbacks, and ``Xen:``
  for PV guests) are the firmware map as ``e820__memory_setup`` printed it: the new format
  ``[mem 0x...-0x...] type`` (inclusive end), the old one ``%016Lx - %016Lx (type)`` (exclusive
  end), and the 7.0+ one (``System RAM``, ``device reserved``, ``persistent RAM``, an optional
  size column, and ``[gap ...]`` lines, which are not entries). They must form one run of
  consecutive lines: a second run is a second boot, which is an error (one capture, one boot).
- ``extended:`` lines (``extended physical RAM map:``, printed by
  ``e820__memory_setup_extended`` when the boot loader passed more than 128 entries in a
  ``SETUP_E820_EXT`` node) are the complete firmware map of that boot; when present they are
  the entries instead of the ``BIOS-e820:`` lines, which hold only the first 128.
- ``e820: update [mem a-b] usable ==> usable`` (old kernels: ``e820 update range: a - b
  (usable) ==> (usable)``) is ``e820__reserve_setup_data`` turning a setup_data node from RAM
  into RESERVED_KERN: one ``(start, size)`` per node. K6.1 prints every such line twice in a row
  (``e820_table`` and then ``e820_table_kexec``); the second of two identical consecutive lines
  is dropped, since two nodes cannot share an address. Applying a node twice would change
  nothing anyway (the second update finds no RAM left in the range). Other update/remove lines
  happen later in boot or come from the command line and are not part of the firmware map.
  ``parse_early_param()`` prints the same line for a ``memmap=`` ``%`` piece between RAM and
  RESERVED_KERN (``memmap=8M%0x30000000-128+1``), earlier in the same boot: K6.12
  arch/x86/kernel/setup.c ``setup_arch()`` runs ``parse_early_param()``, then ``x86_report_nx()``
  (``NX (Execute Disable) protection: ...``), then ``e820__reserve_setup_data()``, whose nodes
  end with the ``reserve setup_data:`` table. So only the lines after the NX line and before that
  table are setup_data; a trimmed log without the NX line drops, in order, the lines the
  command line's ``%`` pieces print.
- ``user:`` lines are the kernel's own ``user-defined physical RAM map`` (after ``mem=`` /
  ``memmap=``). ``reserve setup_data:`` and ``modified:`` tables are the map after the command
  line and later kernel edits, not firmware data: they are ignored.
- ``setup_percpu: ... nr_cpu_ids:N`` (mm/percpu.c ``setup_per_cpu_areas()``), else ``CPU topo:
  Allowing N present CPUs plus M hotplug CPUs`` (arch/x86/kernel/cpu/topology.c): the possible
  CPUs, whose per-CPU areas memblock gives out before ``reserve_mem=`` runs.
- ``Command line:`` (``boot_command_line`` as setup_arch prints it, the string
  ``parse_early_param`` reads), else ``Kernel command line:``, else the x86_64 2.6.1x
  ``Bootdata ok (command line is ...)``; kept verbatim. ``Kernel panic - not syncing:``.

A line with one of these markers that does not parse is an MM602 error with its line and column:
the capture corpus has no such noise, so a bad line means an edited or damaged capture.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from memmap_lint.captures.image import banner_release, memory_line_image
from memmap_lint.captures.model import (
    Capture,
    capture_error,
    entry_from_exclusive,
    entry_from_inclusive,
    no_map_error,
)
from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.e820 import RAM, RESERVED_KERN, U64, Entry, parse_type_name
from memmap_lint.kernel.params import memmap_items

_FIRMWARE = re.compile(r"(?<![\w-])(BIOS-e820|BIOS-e801|BIOS-88):")
_OTHER_TABLE = re.compile(r"(?<![\w-])(Xen|user|extended|reserve setup_data|modified):")
_UPDATE = re.compile(r"(?<![\w-])e820: update \[")
_UPDATE_BODY = re.compile(r"mem 0x([0-9a-fA-F]{1,16})-0x([0-9a-fA-F]{1,16})\] (.+?) ==> (.+)$")
_OLD_UPDATE = re.compile(r"(?<![\w-])e820 update range: ")
_OLD_UPDATE_BODY = re.compile(
    r"([0-9a-fA-F]{1,16}) +- +([0-9a-fA-F]{1,16}) +\(([^()]*)\) ==> \(([^()]*)\)[ \t]*$"
)
_CMDLINE = re.compile(r"(?<![\w-])Command line:(?: (.*))?$")
_KERNEL_CMDLINE = re.compile(r"(?<![\w-])Kernel command line:(?: (.*))?$")
_BOOTDATA = re.compile(r"Bootdata ok \(command line is (.*)\)\s*$")
_PANIC = re.compile(r"Kernel panic - not syncing: ?(.*)$")
_NR_CPU_IDS = re.compile(r"(?<![\w-])setup_percpu: .*\bnr_cpu_ids:(\d{1,6})\b")
_ALLOWING = re.compile(r"Allowing (\d{1,6}) present CPUs plus (\d{1,6}) hotplug CPUs")
#: x86_report_nx() (arch/x86/mm/setup_nx.c): printed right after parse_early_param().
_NX = re.compile(r"(?<![\w-])NX \(Execute Disable\) protection")
_SIZE_COLUMN = re.compile(r"([0-9]{1,20}(?:\.[0-9]{1,20})?) ?(bytes|B|[KMGTPE]i?B)[ \t]+")
_OLD_BODY_START = re.compile(r"[0-9a-fA-F]{16} +- ")
_HEX = "0123456789abcdefABCDEF"
_NAMES_7_0 = {"system ram", "device reserved", "persistent ram"}
#: Substrings only kernel e820 log lines carry (format detection).
_MARKERS = (
    "BIOS-e820:",
    "BIOS-e801:",
    "BIOS-88:",
    "Xen: [mem",
    "user: [mem",
    "user: 0",
    "extended: [mem",
    "extended: 0",
    "e820: update [",
    "e820 update range:",
)


class _BadLine(Exception):
    """A marked line that does not parse: message and 0-based index into the line."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


@dataclass
class _Range:
    """One parsed table line."""

    gap: bool
    entry: Entry
    old_format: bool
    names_7_0: bool


@dataclass
class _Run:
    """Consecutive table lines of one label group."""

    entries: list[Entry] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    first_line: int = 0
    old_format_line: int = 0
    new_format_line: int = 0
    seven: bool = False


#: ``table_line(group, run, parsed, lineno)``: records one table line of a group.
_TableLine = Callable[[str, _Run, _Range, int], None]


def looks_like_kernel_log(text: str) -> bool:
    """True when ``text`` holds a marker only kernel e820 log lines carry."""
    return any(marker in text for marker in _MARKERS)


def _hex(line: str, i: int) -> tuple[int, int]:
    """A hexadecimal number at ``line[i:]``: (value, index after it)."""
    j = i
    while j < len(line) and line[j] in _HEX:
        j += 1
    if j == i:
        raise _BadLine("expected a hexadecimal address", i)
    if j - i > 16:
        raise _BadLine("address has more than 16 hexadecimal digits (beyond 64 bits)", i)
    return int(line[i:j], 16), j


def _expect(line: str, i: int, token: str, what: str) -> int:
    if not line.startswith(token, i):
        raise _BadLine(f"expected {what}", i)
    return i + len(token)


def _skip_spaces(line: str, i: int) -> int:
    while i < len(line) and line[i] in " \t":
        i += 1
    return i


def _type(text: str, index: int) -> int:
    etype = parse_type_name(text)
    if etype is None:
        if not text.strip():
            raise _BadLine("missing e820 type", index)
        raise _BadLine(f"unknown e820 type {text.strip()[:40]!r}", index)
    return etype


def _parse_new(line: str, i: int) -> _Range:
    """``[mem 0x...-0x...] type`` (inclusive end) or ``[gap ...]`` from ``line[i:]`` ("[" at i)."""
    i += 1
    if line.startswith("mem", i):
        gap = False
    elif line.startswith("gap", i):
        gap = True
    else:
        raise _BadLine("expected 'mem' or 'gap'", i)
    i = _skip_spaces(line, i + 3)
    i = _expect(line, i, "0x", "'0x' before the start address")
    start, i = _hex(line, i)
    i = _expect(line, i, "-", "'-' between the addresses")
    i = _expect(line, i, "0x", "'0x' before the end address")
    last, i = _hex(line, i)
    i = _expect(line, i, "]", "']' after the end address")
    if gap:
        return _Range(True, entry_from_inclusive(start, last, 0), False, True)
    i = _skip_spaces(line, i)
    seven = False
    size_column = _SIZE_COLUMN.match(line, i)
    if size_column:
        seven = True
        i = size_column.end()
    name = line[i:].rstrip()
    etype = _type(name, i)
    seven = seven or " ".join(name.split()).lower() in _NAMES_7_0
    return _Range(False, entry_from_inclusive(start, last, etype), False, seven)


def _parse_old(line: str, i: int) -> _Range:
    """``%016Lx - %016Lx (type)`` (exclusive end) from ``line[i:]``; unknown types print bare."""
    start, i = _hex(line, i)
    i = _skip_spaces(line, i)
    i = _expect(line, i, "-", "'-' between the addresses")
    i = _skip_spaces(line, i)
    end, i = _hex(line, i)
    i = _skip_spaces(line, i)
    rest = line[i:].rstrip()
    if rest.startswith("("):
        close = rest.find(")")
        if close < 0:
            raise _BadLine("expected ')' after the type", i + len(rest))
        if rest[close + 1 :].strip():
            raise _BadLine("unexpected text after the type", i + close + 1)
        etype = _type(rest[1:close], i + 1)
    else:
        etype = _type(rest, i)
    return _Range(False, entry_from_exclusive(start, end, etype), True, False)


def _parse_range(line: str, i: int) -> _Range:
    i = _skip_spaces(line, i)
    if line.startswith("[", i):
        return _parse_new(line, i)
    if i < len(line) and line[i] in _HEX:
        return _parse_old(line, i)
    raise _BadLine("expected '[mem ...]' or an address range", i)


def _add(run: _Run, parsed: _Range, lineno: int) -> None:
    if not run.first_line:
        run.first_line = lineno
    if parsed.old_format:
        run.old_format_line = run.old_format_line or lineno
    else:
        run.new_format_line = run.new_format_line or lineno
    run.seven = run.seven or parsed.names_7_0
    if not parsed.gap:
        run.entries.append(parsed.entry)
        run.lines.append(lineno)


def _first_value(found: list[str]) -> str | None:
    return found[0] if found else None


def parse_kernel_log(text: str, source: str) -> Capture:
    """Parse a kernel log holding one boot's e820 lines (see the module docstring)."""
    firmware = _Run()
    extended = _Run()
    user = _Run()
    updates: list[tuple[int, tuple[int, int]]] = []
    nx_line = 0
    cpus: dict[str, int] = {}
    cmdlines: list[str] = []
    kernel_cmdlines: list[str] = []
    bootdata: list[str] = []
    panic: str | None = None
    # Table groups whose run is still going (last line number), and groups whose run was
    # ended by another line: a later line of an ended group starts a second map.
    open_run: dict[str, int] = {}
    closed: set[str] = set()
    tables: dict[str, int] = {}

    def table_line(group: str, run: _Run, parsed: _Range, lineno: int) -> None:
        if group in closed:
            raise capture_error(
                f"a second e820 map starts here (the first one is at line {run.first_line}): "
                "a capture must hold one boot (e.g. `journalctl -k -b 0` or `dmesg`)",
                source,
                lineno,
                1,
            )
        open_run[group] = lineno
        _add(run, parsed, lineno)

    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        group = ""
        try:
            group = _scan_line(line, lineno, firmware, extended, user, table_line)
            if not group:
                _scan_update(line, lineno, updates)
            elif group == "reserve setup_data":
                tables.setdefault(group, lineno)
        except _BadLine as bad:
            raise capture_error(bad.message, source, lineno, bad.index + 1) from None
        for name in list(open_run):
            if name != group:
                closed.add(name)
                del open_run[name]
        if group:
            continue
        match = _CMDLINE.search(line)
        if match:
            cmdlines.append(match.group(1) or "")
            continue
        match = _KERNEL_CMDLINE.search(line)
        if match:
            kernel_cmdlines.append(match.group(1) or "")
            continue
        match = _BOOTDATA.search(line)
        if match:
            bootdata.append(match.group(1))
            continue
        match = _PANIC.search(line)
        if match and panic is None:
            panic = match.group(1).rstrip()
        if not nx_line and _NX.search(line):
            nx_line = lineno
        if match := _NR_CPU_IDS.search(line):
            cpus["nr_cpu_ids"] = int(match.group(1))
        elif match := _ALLOWING.search(line):
            cpus.setdefault("allowing", int(match.group(1)) + int(match.group(2)))

    table = extended if extended.entries else firmware
    if not table.entries:
        raise no_map_error(source)
    if table.old_format_line and table.new_format_line:
        raise capture_error(
            "the e820 map mixes the old (exclusive end) and new (inclusive end) line formats "
            f"(lines {table.old_format_line} and {table.new_format_line})",
            source,
            max(table.old_format_line, table.new_format_line),
            1,
        )
    if table.old_format_line:
        fmt = "dmesg-old"
    elif table.seven or firmware.seven:
        fmt = "dmesg-7.0"
    else:
        fmt = "dmesg"
    cmdline = _first_value(cmdlines)
    if cmdline is None:
        cmdline = _first_value(kernel_cmdlines)
    if cmdline is None:
        cmdline = _first_value(bootdata)
    end = tables.get("reserve setup_data", 0)
    return Capture(
        entries=tuple(table.entries),
        setup_data=_setup_data(updates, nx_line, end, cmdline),
        cmdline=cmdline,
        user_map=tuple(user.entries) if user.entries else None,
        panic=panic,
        format=fmt,
        source=source,
        lines=tuple(table.lines),
        cpus=cpus.get("nr_cpu_ids", cpus.get("allowing")),
        image_size=memory_line_image(text),
        release=banner_release(text),
    )


def _scan_line(
    line: str,
    lineno: int,
    firmware: _Run,
    extended: _Run,
    user: _Run,
    table_line: _TableLine,
) -> str:
    """Record a table line; the name of its group ("" when the line is no table line)."""
    match = _FIRMWARE.search(line)
    if match:
        table_line("firmware", firmware, _parse_range(line, match.end()), lineno)
        return "firmware"
    match = _OTHER_TABLE.search(line)
    if not match:
        return ""
    i = _skip_spaces(line, match.end())
    strict = line.startswith(("[mem", "[gap"), i) or bool(_OLD_BODY_START.match(line, i))
    if not strict:
        return ""
    parsed = _parse_range(line, i)
    label = match.group(1)
    if label == "Xen":
        table_line("firmware", firmware, parsed, lineno)
        return "firmware"
    if label == "extended":
        table_line("extended", extended, parsed, lineno)
        return "extended"
    if label == "user":
        table_line("user", user, parsed, lineno)
        return "user"
    return label  # reserve setup_data / modified: later tables, not firmware data


def _scan_update(line: str, lineno: int, updates: list[tuple[int, tuple[int, int]]]) -> None:
    """Record a ``usable ==> usable`` update line as (line number, (start, size))."""
    match = _UPDATE.search(line)
    if match:
        body = _UPDATE_BODY.match(line, match.end())
        if not body:
            raise _BadLine(
                "malformed 'e820: update [mem 0x...-0x...] old ==> new' line", match.start()
            )
        start, last = int(body.group(1), 16), int(body.group(2), 16)
        old, new = body.group(3), body.group(4)
        entry = entry_from_inclusive(start, last, 0)
    else:
        match = _OLD_UPDATE.search(line)
        if not match:
            return
        body = _OLD_UPDATE_BODY.match(line, match.end())
        if not body:
            raise _BadLine(
                "malformed 'e820 update range: start - end (old) ==> (new)' line", match.start()
            )
        start, end = int(body.group(1), 16), int(body.group(2), 16)
        old, new = body.group(3), body.group(4)
        entry = entry_from_exclusive(start, end, 0)
    if old.strip() == "usable" and new.strip() == "usable":
        updates.append((lineno, (entry.start, entry.size)))


def _printed_by_cmdline(cmdline: str | None) -> list[tuple[int, int]]:
    """The ``usable ==> usable`` ranges ``parse_early_param()`` prints for ``cmdline``, in order.

    K6.12 arch/x86/kernel/e820.c ``parse_memmap_one()``: a ``%`` piece with an old type calls
    ``e820__range_update()``, which prints before it acts (``__e820__range_update``, after its
    ``BUG_ON(old_type == new_type)``), the size capped at ``ULLONG_MAX - start``; RAM and
    RESERVED_KERN both print as ``usable``.
    """
    if not cmdline:
        return []
    printed = []
    for param in parse(cmdline).named("memmap"):
        for item in memmap_items(param, wildcard=False):
            if item.form != "%" or item.trailing or item.size is None or item.start is None:
                continue
            kinds = (item.old_type, item.new_type)
            if set(kinds) == {RAM, RESERVED_KERN}:
                start = item.start.value
                printed.append((start, min(item.size.value, U64 - start)))
    return printed


def _setup_data(
    updates: list[tuple[int, tuple[int, int]]], nx_line: int, end: int, cmdline: str | None
) -> tuple[tuple[int, int], ...]:
    """The setup_data nodes among the ``usable ==> usable`` lines (see the module docstring)."""
    kept = [(n, node) for n, node in updates if n > nx_line and (not end or n < end)]
    if not nx_line:
        parsed = _printed_by_cmdline(cmdline)
        rest = []
        for n, node in kept:
            if parsed and node == parsed[0]:
                parsed.pop(0)
            else:
                rest.append((n, node))
        kept = rest
    nodes: list[tuple[int, int]] = []
    last = 0
    for n, node in kept:
        if not (nodes and nodes[-1] == node and last == n - 1):
            nodes.append(node)  # K6.1 prints each node again for e820_table_kexec
        last = n
    return tuple(nodes)
