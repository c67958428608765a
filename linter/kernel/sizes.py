"""Number parsing exactly as lib/cmdline.c ``memparse()`` and lib/vsprintf.c ``simple_strtoull()``.

Both never fail: they consume what they can and report where they stopped. Values wrap modulo
2**64 on digit overflow and on suffix shifts, silently, as in the kernel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

U64 = (1 << 64) - 1
_HEX = "0123456789abcdefABCDEF"
_SUFFIX_SHIFT = {
    c: shift
    for letter, shift in (("k", 10), ("m", 20), ("g", 30), ("t", 40), ("p", 50), ("e", 60))
    for c in (letter, letter.upper())
}
_KSTRTOX_MAX = U64


@dataclass(frozen=True, slots=True)
class Parsed:
    """A number as the kernel read it.

    ``end`` is the index of the first unconsumed character (``start`` when nothing was consumed);
    ``digits_end`` is where the digits stopped (before a suffix); ``wrapped`` says the true value did
    not fit in 64 bits; ``base`` is 8, 10 or 16.
    """

    value: int
    start: int
    end: int
    digits_end: int
    base: int
    wrapped: bool
    suffix: str
    #: The value with unbounded precision (what the writer meant, before wrapping); None for a
    #: decimal number of more than 4000 digits (then ``wrapped`` is True).
    exact: int | None

    @property
    def consumed(self) -> bool:
        return self.end != self.start


def _base_of(text: str, pos: int) -> tuple[int, int]:
    """``_parse_integer_fixup_radix`` for base 0: (base, index of the first digit)."""
    if pos < len(text) and text[pos] == "0":
        if pos + 2 < len(text) and text[pos + 1] in "xX" and text[pos + 2] in _HEX:
            return 16, pos + 2
        return 8, pos
    return 10, pos


_DIGIT_RUN = {
    8: re.compile("[0-7]*"),
    10: re.compile("[0-9]*"),
    16: re.compile("[0-9a-fA-F]*"),
}
_EXACT_DIGITS = 4000
"""Decimal digits up to which the exact value is kept (CPython's int() is quadratic there)."""
_CHUNK = 18


def _digits(text: str, pos: int, base: int) -> tuple[int | None, int, int]:
    """``_parse_integer_limit``: (exact value or None, value modulo 2**64, end index) of the
    digits valid in ``base``, in linear time (the kernel accumulates modulo 2**64 digit by
    digit; so does the chunked loop below, a chunk at a time)."""
    match = _DIGIT_RUN[base].match(text, pos)
    assert match is not None  # a "*" run always matches
    digits = match.group()
    if not digits:
        return 0, 0, pos
    if base != 10 or len(digits) <= _EXACT_DIGITS:  # int() is linear in a power-of-2 base
        exact = int(digits, base)
        return exact, exact & U64, match.end()
    value = 0
    for i in range(0, len(digits), _CHUNK):
        chunk = digits[i : i + _CHUNK]
        value = (value * 10 ** len(chunk) + int(chunk)) & U64
    return None, value, match.end()


def strtoull(text: str, pos: int = 0) -> Parsed:
    """``simple_strtoull(text + pos, &end, 0)``: base detection, digits, u64 wrap, no suffix."""
    base, first = _base_of(text, pos)
    exact, value, end = _digits(text, first, base)
    wrapped = exact is None or exact > U64
    return Parsed(value, pos, end, end, base, wrapped, "", exact)


def memparse(text: str, pos: int = 0) -> Parsed:
    """``memparse(text + pos, &end)``: a number with one optional K/M/G/T/P/E suffix.

    The suffix is honoured even when no digit was read (``"G"`` is 0 and consumes one character),
    and hex digits win over suffixes (``0x1E`` is 30).
    """
    number = strtoull(text, pos)
    value = number.value
    exact = number.exact
    end = number.end
    suffix = ""
    wrapped = number.wrapped
    if end < len(text) and text[end] in _SUFFIX_SHIFT:  # ASCII only: not str.lower()
        suffix = text[end]
        shift = _SUFFIX_SHIFT[suffix]
        exact = None if exact is None else exact << shift
        shifted = value << shift
        wrapped = wrapped or shifted > U64
        value = shifted & U64
        end += 1
    return Parsed(value, pos, end, number.end, number.base, wrapped, suffix, exact)


@dataclass(frozen=True, slots=True)
class KstrtoulResult:
    """``kstrtoul(s, 0, &v)``: the value, or the errno name when the kernel rejects the text."""

    value: int | None
    error: str | None


def kstrtoull(text: str) -> KstrtoulResult:
    """``kstrtoull(text, 0)``: one leading ``+``, base detection, digits only, one trailing newline."""
    s = text[1:] if text.startswith("+") else text
    base, first = _base_of(s, 0)
    exact, _, end = _digits(s, first, base)
    if end == first:
        return KstrtoulResult(None, "EINVAL")
    if (
        exact is None or exact > _KSTRTOX_MAX
    ):  # checked before the trailing characters, as _kstrtoull does
        return KstrtoulResult(None, "ERANGE")
    rest = s[end:]
    if rest not in ("", "\n"):
        return KstrtoulResult(None, "EINVAL")
    return KstrtoulResult(exact, None)


_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]


def human(n: int) -> str:
    """A size for people: ``12 MiB``, ``1.5 GiB``, ``4095 B``."""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    unit = 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} {_UNITS[unit]}"


def kernel_size(n: int) -> str:
    """The shortest exact ``memparse`` spelling of ``n`` (``12M``, ``4096``, ``0``)."""
    for letter, shift in (("E", 60), ("P", 50), ("T", 40), ("G", 30), ("M", 20), ("K", 10)):
        if n and n % (1 << shift) == 0:
            return f"{n >> shift}{letter}"
    return str(n)


def kstrto(kind: str, text: str) -> KstrtoulResult:
    """``kstrtoul``/``kstrtoull``/``kstrtouint``/``kstrtoint`` with base 0 (lib/kstrtox.c), as a
    module parameter of that ``kind`` (``ulong``, ``ullong``, ``uint``, ``int``) is set."""
    if kind in ("ulong", "ullong", "uint"):
        r = kstrtoull(text)
        if r.value is not None and kind == "uint" and r.value > 0xFFFFFFFF:
            return KstrtoulResult(None, "ERANGE")
        return r
    # kstrtoint -> kstrtoll: a leading '-' then _kstrtoull (which does not skip a '+').
    negative = text.startswith("-")
    rest = text[1:] if negative else text
    if negative and rest.startswith("+"):
        return KstrtoulResult(None, "EINVAL")
    r = kstrtoull(rest)
    if r.value is None:
        return r
    if r.value > (1 << 63) - (0 if negative else 1):
        return KstrtoulResult(None, "ERANGE")
    value = -r.value if negative else r.value
    if not -(1 << 31) <= value < 1 << 31:
        return KstrtoulResult(None, "ERANGE")
    return KstrtoulResult(value, None)
