"""memparse, simple_strtoull, kstrtoull and the size formatters (linter/kernel/sizes.py).

Expectations come from the kernel: lib/cmdline.c ``memparse()``, lib/vsprintf.c
``simple_strntoull()`` and lib/kstrtox.c ``_parse_integer_fixup_radix()``,
``_parse_integer()`` and ``_kstrtoull()`` (read in torvalds/linux), summarised in
lib/cmdline.c memparse(). Real boots that exercise the same
inputs are recorded in tests/fixtures/kernel-answers/ (cases ``octal``, ``hex_nodigit``,
``kelvin_k``, ``size_16E_wrap``, ``4GG``) and replayed by test_kernel_answers.py.
"""

from __future__ import annotations

import pytest
from memmap_lint.kernel.sizes import U64, human, kernel_size, kstrtoull, memparse, strtoull

G = 1 << 30

# lib/cmdline.c memparse() (simple_strtoull, then one suffix), row for row: (input, value, index where parsing stops).
REFERENCE_TABLE = [
    ("4G", 4 * G, 2),
    ("4g", 4 * G, 2),
    ("4GB", 4 * G, 2),  # stops at B
    ("0x1000", 4096, 6),
    ("0x", 0, 1),  # stops at x
    ("0xg", 0, 1),  # stops at x
    ("010", 8, 3),
    ("08M", 0, 1),  # stops at 8
    ("1e", 1 << 60, 2),
    ("16E", 0, 3),  # wrapped
    ("0x1E", 30, 4),
    ("-1", 0, 0),  # nothing consumed
    ("+5", 0, 0),  # nothing consumed
    ("12M:4096:oops", 12 << 20, 3),  # stops at ':'
    ("4GG", 4 * G, 2),  # stops at the second G
]


@pytest.mark.parametrize(
    ("text", "value", "end"), REFERENCE_TABLE, ids=[r[0] for r in REFERENCE_TABLE]
)
def test_memparse_reference_table(text: str, value: int, end: int) -> None:
    p = memparse(text)
    assert (p.value, p.end) == (value, end)


@pytest.mark.parametrize(
    ("text", "value", "end", "base"),
    [
        ("010", 8, 3, 8),  # leading 0: octal (_parse_integer_fixup_radix)
        ("0777", 511, 4, 8),
        ("08M", 0, 1, 8),  # 8 is not an octal digit: value 0, the M is never reached
        ("09", 0, 1, 8),
        ("0", 0, 1, 8),
        ("0M", 0, 2, 8),  # 0 then the suffix
        ("0x", 0, 1, 8),  # "0x" not followed by a hex digit is octal: parse stops at x
        ("0X", 0, 1, 8),
        ("0xg", 0, 1, 8),
        ("0x 1", 0, 1, 8),
        ("0xa", 10, 3, 16),  # a hex letter counts as the required hex digit
        ("0XfF", 255, 4, 16),
        ("123", 123, 3, 10),
    ],
)
def test_memparse_base_detection(text: str, value: int, end: int, base: int) -> None:
    p = memparse(text)
    assert (p.value, p.end, p.base) == (value, end, base)


def test_hex_digits_swallow_suffix_letters() -> None:
    # lib/cmdline.c memparse(): simple_strtoull takes every hex digit first, so 0x1E = 30 (the E
    # is a digit), but 0x10G = 16 GiB.
    assert memparse("0x1E").value == 30
    assert memparse("0x1E").suffix == ""
    assert memparse("0x1e").value == 30
    assert memparse("0x10G").value == 16 * G
    assert memparse("0x10G").suffix == "G"
    # In decimal E/e is a suffix, not a digit.
    assert memparse("1E").value == 1 << 60


@pytest.mark.parametrize(
    ("letter", "shift"), [("K", 10), ("M", 20), ("G", 30), ("T", 40), ("P", 50), ("E", 60)]
)
def test_every_suffix_in_both_cases(letter: str, shift: int) -> None:
    # lib/cmdline.c memparse(): case 'E': case 'e': ... each a <<= 10 with fall-through.
    for spelled in (letter, letter.lower()):
        p = memparse("3" + spelled)
        assert p.value == (3 << shift) & U64
        assert p.end == 2
        assert p.suffix == spelled


def test_one_suffix_only() -> None:
    # memparse consumes one letter; the switch is not a loop.
    p = memparse("4GG")
    assert (p.value, p.end, p.suffix) == (4 * G, 2, "G")
    assert memparse("1KM").value == 1024
    assert memparse("5KiB").value == 5120 and memparse("5KiB").end == 2  # stops at i
    assert memparse("1.5G").value == 1 and memparse("1.5G").end == 1  # stops at '.'


def test_unknown_suffix_letters_are_not_consumed() -> None:
    for text in ("4B", "4b", "4X", "4Z", "4 G"):
        p = memparse(text)
        assert (p.value, p.end, p.suffix) == (4, 1, "")


def test_u64_wrap_on_digits() -> None:
    # simple_strntoull masks KSTRTOX_OVERFLOW away: the value wraps modulo 2**64 (lib/cmdline.c memparse(), lib/vsprintf.c simple_strtoull()).
    assert memparse("18446744073709551615").value == U64
    assert memparse("18446744073709551615").wrapped is False
    p = memparse("18446744073709551616")
    assert (p.value, p.end, p.wrapped) == (0, 20, True)
    assert p.exact == 1 << 64
    p = memparse("18446744073709551617")
    assert (p.value, p.wrapped) == (1, True)
    # The same in hex: 17 hex digits.
    p = memparse("0x10000000000000001")
    assert (p.value, p.end, p.wrapped) == (1, 19, True)


def test_u64_wrap_on_shift() -> None:
    # "16E" -> 16 << 60 = 2**64 -> 0 (lib/cmdline.c memparse(), lib/vsprintf.c simple_strtoull(); real boot: case size_16E_wrap).
    p = memparse("16E")
    assert (p.value, p.end, p.wrapped) == (0, 3, True)
    assert p.exact == 16 << 60
    p = memparse("17E")
    assert (p.value, p.wrapped) == (1 << 60, True)
    p = memparse("15E")
    assert (p.value, p.wrapped) == (15 << 60, False)
    # A shift that loses only high bits still wraps: 0x400000000000000K.
    p = memparse("0x40000000000001K")
    assert p.value == (0x40000000000001 << 10) & U64
    assert p.wrapped is True


def test_bare_suffix_without_digits_is_zero_and_consumes_one_char() -> None:
    # memparse: simple_strtoull reads nothing, then the switch still sees 'G' and does endptr++.
    p = memparse("G")
    assert (p.value, p.start, p.end, p.digits_end, p.suffix) == (0, 0, 1, 0, "G")
    assert p.consumed  # a caller comparing pointers sees that something was read
    p = memparse("k:")
    assert (p.value, p.end) == (0, 1)
    # No digits and no suffix: nothing consumed.
    p = memparse("x")
    assert (p.value, p.end) == (0, 0)
    assert not p.consumed
    assert not memparse("").consumed


def test_position_where_parsing_stopped() -> None:
    text = "memmap=12M$0x10000000,4G"
    size = memparse(text, 7)
    assert (size.start, size.digits_end, size.end, size.value) == (7, 9, 10, 12 << 20)
    assert text[size.end] == "$"
    start = memparse(text, size.end + 1)
    assert (start.value, start.end) == (0x10000000, 21)
    assert text[start.end] == ","
    tail = memparse(text, start.end + 1)
    assert (tail.value, tail.end) == (4 * G, len(text))


def test_no_sign_and_no_whitespace_skipping() -> None:
    # lib/cmdline.c memparse(), lib/vsprintf.c simple_strtoull(): "No sign handling at all ... No whitespace skipping."
    for text in ("-1", "+5", " 5", "\t5"):
        p = memparse(text)
        assert (p.value, p.end) == (0, 0)


def test_non_ascii_letters_are_not_suffixes_or_digits() -> None:
    # The kernel compares bytes with 'K'/'k'; U+212A KELVIN SIGN lower-cases to 'k' in Python
    # but is three bytes (E2 84 AA) that match no case label. Real boot: case kelvin_k.
    p = memparse("4\u212a")
    assert (p.value, p.end, p.suffix) == (4, 1, "")
    # Fullwidth digits are not digits for the kernel (its test is '0' <= c <= '9').
    assert memparse("\uff14G").end == 0
    assert memparse("\u0664").end == 0  # ARABIC-INDIC DIGIT FOUR
    # Latin-1 letters are not hex digits.
    assert memparse("0x\u00e9").value == 0 and memparse("0x\u00e9").end == 1


def test_strtoull_has_no_suffix() -> None:
    # simple_strtoull (used by memmap=...%...-old+new for the types) reads digits only.
    p = strtoull("12M")
    assert (p.value, p.end) == (12, 2)
    assert strtoull("0x80000000").value == 0x80000000
    assert strtoull("4294967298").value == 4294967298
    assert strtoull("x").end == 0


@pytest.mark.parametrize(
    ("text", "value", "error"),
    [
        ("4096", 4096, None),
        ("+4096", 4096, None),  # kstrtoull: one leading '+'
        ("0x100000", 0x100000, None),
        ("010", 8, None),  # octal
        ("4096\n", 4096, None),  # one trailing newline
        ("18446744073709551615", U64, None),
        ("1M", None, "EINVAL"),  # no suffixes: ramoops.mem_size=1M is rejected (fs/pstore/ram.c ramoops_probe())
        ("64K", None, "EINVAL"),
        ("4096\n\n", None, "EINVAL"),
        ("4096 ", None, "EINVAL"),
        (" 4096", None, "EINVAL"),
        ("++1", None, "EINVAL"),
        ("-1", None, "EINVAL"),
        ("+", None, "EINVAL"),
        ("", None, "EINVAL"),
        ("\n", None, "EINVAL"),
        ("0x", None, "EINVAL"),  # octal 0 then 'x' left over
        ("08", None, "EINVAL"),
        ("18446744073709551616", None, "ERANGE"),
        ("18446744073709551616\n", None, "ERANGE"),
        ("0x10000000000000000", None, "ERANGE"),
    ],
)
def test_kstrtoull(text: str, value: int | None, error: str | None) -> None:
    r = kstrtoull(text)
    assert (r.value, r.error) == (value, error)


def test_kstrtoull_overflow_is_checked_before_trailing_garbage() -> None:
    # _kstrtoull(): rv = _parse_integer(...); if (rv & KSTRTOX_OVERFLOW) return -ERANGE;
    #               if (rv == 0) return -EINVAL; s += rv; ... if (*s) return -EINVAL;
    assert kstrtoull("99999999999999999999x").error == "ERANGE"
    assert kstrtoull("18446744073709551616K").error == "ERANGE"


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (1023, "1023 B"),
        (1024, "1 KiB"),
        (1536, "1.5 KiB"),
        (12 << 20, "12 MiB"),
        (3 * G // 2, "1.5 GiB"),
        (1 << 60, "1 EiB"),
    ],
)
def test_human(n: int, text: str) -> None:
    assert human(n) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (1000, "1000"),
        (4096, "4K"),
        (12 << 20, "12M"),
        (1536 << 20, "1536M"),
        (4 * G, "4G"),
        (1 << 40, "1T"),
        (1 << 60, "1E"),
        (15 << 60, "15E"),
        (U64, str(U64)),
    ],
)
def test_kernel_size_is_exact_and_memparse_reads_it_back(n: int, text: str) -> None:
    assert kernel_size(n) == text
    back = memparse(text)
    assert back.value == n and back.end == len(text)
