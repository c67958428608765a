"""How ``memparse()`` and ``simple_strtoull()`` read a number differently from what was written.

lib/cmdline.c ``memparse()`` reads ``simple_strtoull(ptr, &endptr, 0)`` (base from the prefix:
``0x`` hex, ``0`` octal) and at most one suffix letter K, M, G, T, P or E; the arithmetic wraps
silently at 64 bits and whatever follows is left to the caller. The explanations here say what
the kernel read instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.e820 import U32
from memmap_lint.kernel.params import MemmapItem, ReserveMemSpec
from memmap_lint.kernel.sizes import Parsed, human, memparse


def written(text: str, number: Parsed) -> str:
    """The characters the kernel consumed for ``number``."""
    return text[number.start : number.end]


def _unit_tail(text: str, end: int) -> str | None:
    """Unit letters or a fraction the kernel leaves unread right after a number."""
    rest = text[end:]
    if rest[:1] == "." and rest[1:2].isdigit():
        tail = "."
        for c in rest[1:]:
            if c.isalnum():
                tail += c
            else:
                break
        return tail
    for unit in ("iB", "ib", "IB", "B", "b"):
        if rest.startswith(unit) and not rest[len(unit) : len(unit) + 1].isalnum():
            return unit
    return None


def pitfall(text: str, number: Parsed, what: str = "the number") -> str | None:
    """Why ``memparse``/``simple_strtoull`` read ``number`` differently from what was written.

    None when the number was read as written. The text says what the kernel read.
    """
    found = classify(text, number, what)
    return None if found is None else found[1]


def classify(text: str, number: Parsed, what: str = "the number") -> tuple[str, str] | None:
    """(kind, explanation) of a misread number; kind is wrap, octal, hex, fraction or unit."""
    seen = written(text, number) or text[number.start : number.start + 1]
    if number.wrapped:
        return "wrap", (
            f"{what} '{seen}' does not fit in 64 bits: the kernel's arithmetic wraps silently "
            f"and it reads {number.value:#x} ({human(number.value)})"
        )
    if number.base == 8:
        nxt = text[number.digits_end : number.digits_end + 1]
        if nxt in ("8", "9"):
            return "octal", (
                f"{what} '{text[number.start : number.digits_end + 1]}' starts with 0, which "
                f"makes it octal; '{nxt}' is not an octal digit, so the kernel reads "
                f"{number.value} and stops there"
            )
        if nxt in ("x", "X"):
            return "octal", (
                f"{what} '0{nxt}' is not followed by a hex digit, so the kernel reads it as the "
                f"octal number 0 and stops at '{nxt}'"
            )
        digits = text[number.start : number.digits_end]
        if len(digits) > 1 and digits.strip("0"):
            return "octal", (
                f"{what} '{seen}' starts with 0, which makes it octal: the kernel reads "
                f"{number.value:#x} ({human(number.value)}), not {digits.lstrip('0')}"
                f"{number.suffix}"
            )
    if (
        number.base == 16
        and not number.suffix
        and text[number.digits_end - 1 : number.digits_end] in ("e", "E")
    ):
        return "hex", (
            f"{what} '{seen}' ends in E, which is a hex digit here, not the exa suffix: the "
            f"kernel reads {number.value:#x} ({human(number.value)})"
        )
    tail = _unit_tail(text, number.end)
    if tail is not None:
        if tail.startswith("."):
            return "fraction", (
                f"{what} '{seen}{tail}' has a fraction, which the kernel does not know: it reads "
                f"{seen} ({human(number.value)}) and stops at '.'"
            )
        return "unit", (
            f"{what} '{seen}{tail}' has a unit the kernel does not know: only the one letter "
            f"K, M, G, T, P or E counts, so it reads {seen} ({human(number.value)}) and stops "
            f"at '{tail[0]}'"
        )
    return None


def unit_only(text: str, number: Parsed) -> bool:
    """The only misreading is unit letters after the suffix (``4GB``): the value is as meant."""
    found = classify(text, number)
    return found is not None and found[0] == "unit"


def type_pitfall(text: str, number: Parsed, what: str) -> str | None:
    """A ``%`` type number misread: the pitfalls of ``simple_strtoull`` plus the 32-bit cut."""
    found = pitfall(text, number, what)
    if found is not None and number.wrapped:
        return found + f", then keeps the low 32 bits: type {number.value & U32}"
    if found is None and number.value > U32:
        return (
            f"{what} '{written(text, number)}' is wider than the kernel's 32-bit enum e820_type: "
            f"it keeps the low 32 bits, type {number.value & U32}"
        )
    return found


def numbers(item: MemmapItem) -> Iterator[tuple[str, Parsed]]:
    """The memparse numbers of a piece with the name of their role."""
    if item.size is not None:
        yield "the size", item.size
    if item.start is not None and item.form in ("@", "#", "$", "!", "%"):
        yield "the address", item.start
    if item.align is not None:
        yield "the alignment", item.align


def piece_pitfalls(item: MemmapItem) -> list[tuple[Parsed, str]]:
    """Every misread number of a piece (memparse numbers and ``%`` types)."""
    found: list[tuple[Parsed, str]] = []
    for role, number in numbers(item):
        why = pitfall(item.text, number, role)
        if why is not None:
            found.append((number, why))
    for role, raw in (("the old type", item.old_raw), ("the new type", item.new_raw)):
        if raw is not None:
            why = type_pitfall(item.text, raw, role)
            if why is not None:
                found.append((raw, why))
    return found


def reserve_mem_pitfalls(spec: ReserveMemSpec, value: str) -> list[tuple[Parsed, str]]:
    """Misread numbers of a ``reserve_mem=`` value."""
    found: list[tuple[Parsed, str]] = []
    for role, number in (("the size", spec.size), ("the alignment", spec.align)):
        if number is None:
            continue
        why = pitfall(value, number, role)
        if why is not None:
            found.append((number, why))
    return found


def octal_meant(text: str, value: int | None) -> int | None:
    """The decimal number meant by ``text``, which ``kstrto*`` (base 0) read as the octal
    ``value`` because of its leading 0 (None: no such surprise)."""
    digits = text.lstrip("+-")
    octal = len(digits) > 1 and digits[0] == "0" and digits[1] in "01234567"
    if octal and digits.isascii() and digits.isdigit() and int(digits) != abs(value or 0):
        return int(digits)
    return None


def suffixed_size(text: str) -> int | None:
    """What ``memparse()`` reads from ``text`` when all of it is a size with a suffix (``1M``),
    which ``kstrto*`` refuses (None: not such a size)."""
    m = memparse(text)
    return m.value if m.consumed and m.suffix and m.end == len(text) else None
