"""Capture parsing never raises anything but an MM602 LintError, and round-trips what it reads.

Inputs: arbitrary text, text assembled from the tokens e820 lines are made of, real captures
(tests/fixtures/e820) mutated byte by byte or line by line, arbitrary JSON/YAML documents, and
generated maps printed the way ``e820__print_table`` prints them (``[mem %#018Lx-%#018Lx] type``,
old kernels ``%016Lx - %016Lx (type)``) behind the log prefixes seen in the corpus.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memmap_lint.captures.parse import Capture, parse_capture
from memmap_lint.errors import LintError
from memmap_lint.kernel.e820 import U64, Entry, type_name

FIXTURES = Path(__file__).parent.parent / "fixtures" / "e820"
TEXTS = [
    path.read_text()
    for path in sorted(FIXTURES.iterdir())
    if path.is_file() and path.suffix in {".txt", ".log", ".iomem", ".yaml", ".json"}
] + [(FIXTURES / "firecracker-24g.memmap-grep").read_text()]

#: MEMMAP_LINT_FUZZ_EXAMPLES raises the number of examples per test for a deeper run.
FUZZ = settings(
    max_examples=int(os.environ.get("MEMMAP_LINT_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _parses_or_fails_cleanly(text: str) -> Capture | None:
    try:
        capture = parse_capture(text, "fuzz.txt")
    except LintError as err:
        assert err.code == "MM602"
        assert err.path == "fuzz.txt"
        assert err.message
        if err.line is not None:
            assert 1 <= err.line <= text.count("\n") + 1
        if err.column is not None:
            assert err.column >= 1
        return None
    assert capture.entries
    assert len(capture.lines) == len(capture.entries)
    for entry in capture.entries:
        assert 0 <= entry.start <= U64
        assert 0 <= entry.size <= U64
        assert 0 <= entry.type < 2**32
    return capture


@FUZZ
@given(st.text())
def test_arbitrary_text(text: str) -> None:
    _parses_or_fails_cleanly(text)


TOKENS = [
    "BIOS-e820: ",
    "BIOS-e820:",
    "user: ",
    "extended: ",
    "Xen: ",
    "reserve setup_data: ",
    "e820: update ",
    "e820 update range: ",
    "[mem ",
    "[gap ",
    "[",
    "]",
    "0x",
    "0x0000000000100000",
    "0xffffffffffffffff",
    "0x10000000000000000",
    "0000000000000000",
    "00000000000a0000",
    "-",
    " - ",
    " ",
    "\t",
    "\n",
    "\r\n",
    "(",
    ")",
    "usable",
    "reserved",
    "ACPI data",
    "System RAM",
    "device reserved",
    "type 20",
    "type 4294967296",
    "persistent (type 12)",
    " ==> ",
    "1.9 GB ",
    "Command line: ",
    "Kernel command line: ",
    "Bootdata ok (command line is ",
    "Kernel panic - not syncing: ",
    "[    0.000000] ",
    "<6>",
    "00000000-00000fff : ",
    "  ",
    "/sys/firmware/memmap/",
    "/start:",
    "/end:",
    "/type:",
    "- {start: ",
    ", end: ",
    ", size: ",
    ", type: ",
    "}",
    "e820:\n",
    '{"e820": [',
    "&a ",
    "*a",
]


@FUZZ
@given(st.lists(st.sampled_from(TOKENS) | st.text(max_size=3), max_size=60))
def test_e820_shaped_text(parts: list[str]) -> None:
    _parses_or_fails_cleanly("".join(parts))


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["delete", "insert", "replace", "drop-line", "dup-line"]))
        at = draw(st.integers(0, len(text)))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif kind == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS) | st.text(max_size=4)) + text[at:]
        elif kind == "replace":
            text = text[:at] + draw(st.characters()) + text[at + 1 :]
        else:
            lines = text.split("\n")
            index = draw(st.integers(0, len(lines) - 1))
            if kind == "drop-line":
                del lines[index]
            else:
                lines.insert(index, lines[index])
            text = "\n".join(lines)
    return text


@FUZZ
@given(_mutated())
def test_mutated_real_captures(text: str) -> None:
    _parses_or_fails_cleanly(text)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["0x1000", "usable", "type 7", "0xfffffffffffffffff"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["start", "end", "size", "type", "e820", "cmdline", "x"]) | st.text(),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@FUZZ
@given(JSON_VALUES)
def test_arbitrary_json_and_yaml_documents(value: object) -> None:
    _parses_or_fails_cleanly(json.dumps(value))
    _parses_or_fails_cleanly(yaml.safe_dump(value))


def test_yaml_bombs_and_huge_numbers() -> None:
    # Aliases are not expanded into entries; a 5000-digit integer is beyond int()'s digit limit.
    bomb = "a: &a [1, 1]\nb: &b [*a, *a]\nc: &c [*b, *b]\ne820: [*c, *c]\n"
    _parses_or_fails_cleanly(bomb)
    _parses_or_fails_cleanly("- {start: " + "9" * 5000 + ", end: 1, type: 1}\n")
    _parses_or_fails_cleanly("[" * 5000)
    _parses_or_fails_cleanly("- " * 3000 + "x\n")


# --- round trips -----------------------------------------------------------------------------

TYPES = st.sampled_from([1, 2, 3, 4, 5, 7, 12, 20, 13, 0xEFFFFFFF])
PREFIXES = st.sampled_from(
    [
        "",
        " ",
        "\t",
        "[    0.000000] ",
        "[17179569.184000]  ",
        "[  +0.000000] ",
        "[Fri May 22 09:34:57 2026] ",
        "[    0.000000] [      T0] ",
        "<6>[    0.000000] ",
        "<4> ",
        "Nov 14 08:32:39 s2 kernel: ",
        "2024-12-17 14:39:28,479 DEBUG:\t",
        "     0.00 0        LOG_CRIT ",
    ]
)


@st.composite
def _maps(draw: st.DrawFn) -> list[Entry]:
    entries = []
    address = draw(st.integers(0, 2**40))
    for _ in range(draw(st.integers(1, 20))):
        size = draw(st.integers(1, 2**36))
        entries.append(Entry(address, size, draw(TYPES)))
        address += size + draw(st.integers(0, 2**30))
    return [e for e in entries if e.start + e.size <= 2**64]


@FUZZ
@given(_maps(), PREFIXES, st.sampled_from(["", "   ", "\r"]))
def test_new_format_round_trip(entries: list[Entry], prefix: str, padding: str) -> None:
    text = "".join(f"{prefix}BIOS-e820: {e.describe()}{padding}\n" for e in entries)
    capture = parse_capture(text)
    assert list(capture.entries) == entries
    assert capture.format == "dmesg"
    assert capture.lines == tuple(range(1, len(entries) + 1))


@FUZZ
@given(_maps(), PREFIXES)
def test_old_format_round_trip(entries: list[Entry], prefix: str) -> None:
    def old_name(etype: int) -> str:  # 2.6 e820_print_type: known types in parentheses
        name = type_name(etype)
        return f"type {etype}" if name.startswith(("type", "persistent")) else f"({name})"

    entries = [e for e in entries if e.type not in (7, 12)]
    text = "".join(
        f"{prefix}BIOS-e820: {e.start:016x} - {e.end:016x} {old_name(e.type)}\n"
        for e in entries
        if e.end <= U64
    )
    expected = [e for e in entries if e.end <= U64]
    if not expected:
        return
    capture = parse_capture(text)
    assert list(capture.entries) == expected
    assert capture.format == "dmesg-old"


@FUZZ
@given(_maps())
def test_yaml_and_json_round_trip(entries: list[Entry]) -> None:
    items = [{"start": e.start, "end": e.last, "type": type_name(e.type)} for e in entries]
    # "persistent (type 7)" etc. are kernel names too; 0xefffffff prints "soft reserved".
    assert list(parse_capture(yaml.safe_dump(items)).entries) == entries
    sized = [{"start": hex(e.start), "size": e.size, "type": e.type} for e in entries]
    capture = parse_capture(json.dumps({"e820": sized}))
    assert capture.format == "json"
    assert list(capture.entries) == entries


def test_long_adversarial_lines_stay_linear() -> None:
    # Quadratic regex backtracking on any of these took seconds to minutes before.
    cases = [
        "e820: update [mem 0x0-0xfff] usable ==> " + " " * 100_000 + "x",
        "e820: update [mem 0x0-0xfff] " + " ==> " * 20_000 + "x",
        "e820 update range: 0000000000000000 - 0000000000001000 (usable) ==> (usable)"
        + " " * 100_000
        + "x",
        "1" * 100_000 + "/start:0x0",
        "1/" * 50_000 + "start:0x0",
        "BIOS-e820: [mem 0x0-0xfff] " + "1" * 100_000 + " GB usable",
        "Bootdata ok (command line is " + ")" * 100_000 + "x",
        "BIOS-e820:" * 30_000,
    ]
    started = time.monotonic()
    for text in cases:
        _parses_or_fails_cleanly(text)
    assert time.monotonic() - started < 5
