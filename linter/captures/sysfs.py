"""``/sys/firmware/memmap`` (as a directory or as ``grep . /sys/firmware/memmap/*/*`` prints it)
and the top level of ``/proc/iomem``.

``/sys/firmware/memmap/N/{start,end,type}`` is ``e820_table_firmware`` as
``e820__reserve_resources`` exported it (``firmware_map_add_early``): the sanitized firmware map,
``end`` inclusive, ``type`` the ``e820_type_to_string`` name. Entries are taken in numeric order
of N (the order they were added; a shell glob sorts 10 before 2).

``/proc/iomem`` is not firmware data: its top level holds ``e820_table`` after the command line
and the kernel's own edits (page 0 reserved, 0xa0000-0xfffff removed, ``memmap=`` regions), and
reserved ranges that fall inside a PCI window are nested below it and so not seen here. Only
lines without indentation whose name is an ``e820_type_to_string`` name are entries; every
other top-level line (``PCI Bus ...``, ``IOAPIC 0``, ``Local APIC``, ``RAM buffer``, device
names) is a resource some driver claimed, not an e820 entry, and is skipped. Read without root,
every address is printed as zero: that is an error, not a map.

``Persistent Memory (legacy)`` (E820_TYPE_PRAM, 12) at the top level is what ``memmap=nn!ss``
makes of RAM (arch/x86/kernel/e820.c ``parse_memmap_one()``: ``e820__range_add(start, size,
E820_TYPE_PRAM)``, then ``e820__update_table()`` splits the RAM around it); firmware stopped
reporting type 12 with ACPI 6's NFIT. Such a range is taken back as RAM (merged with the RAM
beside it, as the firmware map has it) and kept in ``Capture.running_edits``, so that a rule
names it and a prediction never keeps persistent memory the firmware does not have.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

from memmap_lint.captures.image import iomem_image
from memmap_lint.captures.model import (
    Capture,
    capture_error,
    entry_from_inclusive,
    no_map_error,
    type_from_resource_name,
)
from memmap_lint.kernel.e820 import PRAM, RAM, Entry

_IOMEM_LINE = re.compile(r"^([0-9a-fA-F]{1,16})-([0-9a-fA-F]{1,16}) : (.*)$")
_IOMEM_NESTED = re.compile(r"^[ \t]+[0-9a-fA-F]+-[0-9a-fA-F]+ : ")
_FIELDS = ("start", "end", "type")


def _grep_line(line: str) -> tuple[str, str, str, str, int] | None:
    """``<dir>/N/field:value`` split into (dir, N, field, value, value index), or None."""
    colon = line.find(":")
    if colon < 0:
        return None
    head = line[:colon]
    parts = head.rsplit("/", 2)
    if len(parts) == 3:
        prefix, number, name = parts[0] + "/", parts[1], parts[2]
    elif len(parts) == 2:
        prefix, number, name = "", parts[0], parts[1]
    else:
        return None
    if not (number.isascii() and number.isdigit() and len(number) <= 18) or name not in _FIELDS:
        return None
    return prefix, number, name, line[colon + 1 :], colon + 1


def looks_like_sysfs_grep(first_line: str) -> bool:
    return _grep_line(first_line) is not None


def looks_like_iomem(first_line: str) -> bool:
    return bool(_IOMEM_LINE.match(first_line))


def _address(value: str, where: str, source: str, line: int | None, column: int | None) -> int:
    text = value.strip()
    digits = text[2:] if text[:2].lower() == "0x" else ""
    if not digits or len(digits) > 16 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise capture_error(
            f"{where}: expected a 0x-prefixed hexadecimal address, got {text[:40]!r}",
            source,
            line,
            column,
        )
    return int(digits, 16)


#: Where each field of an entry was read: field name -> (line, column), for error locations.
_Where = dict[str, tuple[int, int]]


def _memmap_entry(fields: dict[str, str], where: str, source: str, at: _Where) -> Entry:
    """One ``N/start``, ``N/end``, ``N/type`` triple as an entry."""

    def located(name: str) -> tuple[int | None, int | None]:
        return at.get(name, (None, None)) if at else (None, None)

    missing = [name for name in _FIELDS if name not in fields]
    if missing:
        line = min((line for line, _ in at.values()), default=None)
        raise capture_error(f"{where}: missing {', '.join(missing)}", source, line, None)
    start = _address(fields["start"], f"{where}/start", source, *located("start"))
    last = _address(fields["end"], f"{where}/end", source, *located("end"))
    if last < start:
        raise capture_error(
            f"{where}: end {last:#x} is below start {start:#x}", source, *located("end")
        )
    name = fields["type"].strip()
    etype = type_from_resource_name(name)
    if etype is None:
        raise capture_error(
            f"{where}/type: unknown e820 type name {name[:40]!r}", source, *located("type")
        )
    return entry_from_inclusive(start, last, etype)


def parse_sysfs_grep(text: str, source: str) -> Capture:
    """``grep . /sys/firmware/memmap/*/*`` output: ``<dir>/N/field:value`` lines."""
    found: dict[int, dict[str, str]] = {}
    where: dict[int, _Where] = {}
    directory: str | None = None
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        parsed = _grep_line(line)
        if parsed is None:
            raise capture_error(
                "expected '<dir>/N/start:', '<dir>/N/end:' or '<dir>/N/type:' "
                "(the output of `grep . /sys/firmware/memmap/*/*`)",
                source,
                lineno,
                1,
            )
        prefix, number, name, value, value_index = parsed
        if directory is None:
            directory = prefix
        elif prefix != directory:
            raise capture_error(
                f"line is from {prefix!r}, earlier lines from {directory!r}", source, lineno, 1
            )
        index = int(number)
        fields = found.setdefault(index, {})
        at = where.setdefault(index, {})
        if name in fields:
            raise capture_error(
                f"{number}/{name} given twice (first at line {at[name][0]})",
                source,
                lineno,
                value_index - len(name),
            )
        fields[name] = value
        at[name] = (lineno, value_index + 1)
    if not found:
        raise no_map_error(source)
    entries: list[Entry] = []
    lines: list[int] = []
    for index in sorted(found):
        at = where[index]
        entries.append(_memmap_entry(found[index], str(index), source, at))
        lines.append(at["start"][0])
    return Capture.map_only(entries, "sysfs-grep", source, lines)


def load_memmap_dir(path: Path) -> Capture:
    """A ``/sys/firmware/memmap``-style directory: numbered subdirectories with three files."""
    source = os.fspath(path)
    numbered: list[tuple[int, Path]] = []
    try:
        for child in path.iterdir():
            name = child.name
            if name.isascii() and name.isdigit() and len(name) <= 18 and child.is_dir():
                numbered.append((int(child.name), child))
    except OSError as err:
        raise capture_error(f"cannot read the capture: {err.strerror or err}", source) from None
    if not numbered:
        raise no_map_error(source)
    entries: list[Entry] = []
    for _, child in sorted(numbered):
        fields: dict[str, str] = {}
        for name in _FIELDS:
            file = child / name
            try:
                fields[name] = file.read_bytes().decode("utf-8", "replace")
            except FileNotFoundError:
                continue
            except OSError as err:
                raise capture_error(
                    f"cannot read the capture: {err.strerror or err}", os.fspath(file)
                ) from None
        entries.append(_memmap_entry(fields, child.name, os.fspath(child), {}))
    return Capture.map_only(entries, "sysfs", source)


def parse_iomem(text: str, source: str) -> Capture:
    """The e820 entries at the top level of ``/proc/iomem`` (see the module docstring)."""
    entries: list[Entry] = []
    lines: list[int] = []
    all_zero = True
    seen = 0
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or _IOMEM_NESTED.match(line):
            continue
        match = _IOMEM_LINE.match(line)
        if not match:
            raise capture_error(
                "expected '<start>-<end> : <name>' (a /proc/iomem line)", source, lineno, 1
            )
        start, last = int(match.group(1), 16), int(match.group(2), 16)
        seen += 1
        if start or last:
            all_zero = False
        etype = type_from_resource_name(match.group(3))
        if etype is None:
            continue
        if last < start:
            raise capture_error(
                f"end {last:#x} is below start {start:#x}", source, lineno, match.start(2) + 1
            )
        entries.append(entry_from_inclusive(start, last, etype))
        lines.append(lineno)
    if seen and all_zero:
        raise capture_error(
            f"every address in {source} is zero: /proc/iomem was read without root "
            "(read it as root, or use /sys/firmware/memmap)",
            source,
        )
    if not entries:
        raise no_map_error(source)
    entries, lines, edits = _without_pram(entries, lines)
    capture = Capture.map_only(entries, "iomem", source, lines)
    return replace(capture, running_edits=edits, image=iomem_image(text))


def _without_pram(
    entries: list[Entry], lines: list[int]
) -> tuple[list[Entry], list[int], tuple[tuple[int, int, int, int], ...]]:
    """``entries`` with each legacy persistent memory range back as RAM, merged with adjacent
    RAM; and the ranges taken back (start, size, type, line)."""
    edits = tuple(
        (e.start, e.size, e.type, n) for e, n in zip(entries, lines, strict=True) if e.type == PRAM
    )
    if not edits:
        return entries, lines, ()
    out: list[Entry] = []
    out_lines: list[int] = []
    for e, n in zip(entries, lines, strict=True):
        e = Entry(e.start, e.size, RAM) if e.type == PRAM else e
        prev = out[-1] if out else None
        if prev is not None and prev.type == RAM == e.type and prev.start + prev.size == e.start:
            out[-1] = Entry(prev.start, prev.size + e.size, RAM)
            continue
        out.append(e)
        out_lines.append(n)
    return out, out_lines, edits
