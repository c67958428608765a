"""Recorded boots of real kernels (tests/fixtures/kernel-answers/README.md): read one file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from memmap_lint.kernel.e820 import Entry, parse_type_name

ANSWERS = Path(__file__).parent / "fixtures" / "kernel-answers"
_MEM = re.compile(r"\[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\] (.+?)\s*$")
_NAMED = re.compile(r"memmap_named: (.*) start=(0x[0-9a-f]+) size=(0x[0-9a-f]+)$")


@dataclass(frozen=True)
class Answer:
    path: Path
    cmdline: str
    firmware: tuple[Entry, ...]
    setup_data: tuple[tuple[int, int], ...]
    table: tuple[Entry, ...] | None
    panic: str | None
    names: tuple[tuple[str, int, int], ...]
    names_count: int | None


def _entry(line: str) -> Entry:
    m = _MEM.search(line)
    assert m, line
    start, last = int(m.group(1), 16), int(m.group(2), 16)
    etype = parse_type_name(m.group(3))
    assert etype is not None, line
    return Entry(start, last - start + 1, etype)


def read_answer(path: Path) -> Answer:
    cmdline = ""
    firmware: list[Entry] = []
    setup: list[tuple[int, int]] = []
    table: list[Entry] | None = None
    panic = None
    names: list[tuple[str, int, int]] = []
    count = None
    for line in path.read_text().split("\n"):
        if line.startswith("Command line: "):
            cmdline = line[len("Command line: ") :]
        elif line.startswith("BIOS-e820: "):
            firmware.append(_entry(line))
        elif line.startswith("e820: update ") and "usable ==> usable" in line:
            e = _entry(line.replace(" ==> usable", ""))
            setup.append((e.start, e.size))
        elif line.startswith("user-defined physical RAM map:"):
            table = []
        elif line.startswith("user: "):
            assert table is not None
            table.append(_entry(line))
        elif "Kernel panic - not syncing: " in line:
            panic = line.split("Kernel panic - not syncing: ", 1)[1].strip()
        elif line.startswith("memmap_named: e820_mmap_size="):
            count = int(line.split("=", 1)[1])
        elif line.startswith("memmap_named: "):
            m = _NAMED.match(line)
            assert m, line
            names.append((m.group(1), int(m.group(2), 16), int(m.group(3), 16)))
    return Answer(
        path,
        cmdline,
        tuple(firmware),
        tuple(setup),
        None if table is None else tuple(table),
        panic,
        tuple(names),
        count,
    )


def answers(kind: str) -> list[Path]:
    return sorted((ANSWERS / kind).glob("*.txt"))
