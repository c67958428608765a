"""Host patterns of INI inventory lines: ``name[:port]`` with ``[a:b(:step)]`` ranges.

The rules are ansible-core's: ``parsing/utils/addresses.py`` ``parse_address`` (a port after a
host name or IPv4 address, or after any bracketed host), the INI plugin's
``_expand_hostpattern`` (a pattern ending in ``:`` without a port is an error) and
``plugins/inventory/__init__.py`` ``expand_hostname_range`` (numeric ranges keep the zero padding
of their start, one-letter ranges, a step, several ranges in one name).
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Sequence
from typing import overload

#: A pattern that would expand to more hosts than this is refused (Ansible would try).
MAX_HOSTS = 100_000


class PatternError(Exception):
    """A host pattern Ansible refuses; the message says why (not a ValueError, as in Ansible)."""


_NUM_RANGE = r"\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]"
_HEX_RANGE = r"\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]"
_ALNUM_RANGE = r"\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]"
_V4 = rf"(?:[01]?[0-9]{{1,2}}|2[0-4][0-9]|25[0-5]|{_NUM_RANGE})"
_V6 = rf"(?:[0-9a-f]{{1,4}}|{_HEX_RANGE})"
_LABEL = rf"(?:\w|{_ALNUM_RANGE})(?:[\w_-]|{_ALNUM_RANGE})*(?<![_-])"
_V4_ADDR = rf"(?:{_V4}\.){{3}}{_V4}"

_BRACKETED_PORT = re.compile(r"^\[(.+)\]:([0-9]+)$")
_HOST_PORT = re.compile(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$")
_IPV4 = re.compile(rf"^{_V4_ADDR}$", re.I)
_IPV6 = re.compile(
    "^(?:"
    + "|".join(
        (
            rf"(?:{_V6}:){{7}}{_V6}",
            rf"(?:{_V6}:){{1,6}}:",
            rf"(?:{_V6}:)(?::{_V6}){{1,6}}",
            rf"(?:{_V6}:){{2}}(?::{_V6}){{1,5}}",
            rf"(?:{_V6}:){{3}}(?::{_V6}){{1,4}}",
            rf"(?:{_V6}:){{4}}(?::{_V6}){{1,3}}",
            rf"(?:{_V6}:){{5}}(?::{_V6}){{1,2}}",
            rf"(?:{_V6}:){{6}}(?::{_V6})",
            rf":(?::{_V6}){{1,6}}",
            rf"{_V6}?::",
            rf"(?:0:){{6}}(?:{_V6}\.){{3}}{_V6}",
            rf"::(?:ffff:)?(?:{_V6}\.){{3}}{_V6}",
            rf"(?:0:){{5}}ffff:(?:{_V6}\.){{3}}{_V6}",
        )
    )
    + ")$",
    re.I,
)
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$", re.I)


def parse_address(address: str) -> tuple[str, int | None] | None:
    """``(host, port)`` when ``address`` is a host (ranges allowed) with an optional port."""
    port: int | None = None
    for pattern in (_BRACKETED_PORT, _HOST_PORT):
        m = pattern.match(address)
        if m:  # both are tried in turn, as in Ansible: "[h:1]:2" is h with port 1
            if len(m.group(2)) > 5:  # Ansible's int() would overflow or refuse: no port
                raise PatternError(f"port {m.group(2)[:20]}... is out of range")
            address, port = m.group(1), int(m.group(2))
    if any(p.match(address) for p in (_IPV4, _IPV6, _HOSTNAME)):
        return address, port
    return None


def expand_hostpattern(pattern: str) -> tuple[list[str], int | None]:
    """The host names of one INI host pattern and the port they share; PatternError if bad."""
    parsed = parse_address(pattern)
    name, port = parsed if parsed is not None else (pattern, None)
    if pattern.strip().endswith(":") and port is None:
        raise PatternError(
            f"Invalid host pattern '{pattern}' supplied, ending in ':' is not allowed, "
            "this character is reserved to provide a port."
        )
    hosts: list[str] = []
    if "[" in name:
        _expand_range(name, hosts)
    else:
        hosts.append(name)
    if any(h.strip() == "---" for h in hosts):
        raise PatternError(
            f"Invalid host pattern '{pattern}' supplied, '---' is normally a sign this is a "
            "YAML file."
        )
    return hosts, port


def _expand_range(name: str, out: list[str]) -> None:
    """Ansible's recursive ``expand_hostname_range``, without recursion: a name's ranges are
    its bracket groups left to right (a substituted item never holds a bracket), so the hosts
    are their product, counted against MAX_HOSTS before any is made."""
    pieces: list[tuple[str, Sequence[str]]] = []
    total = 1
    rest = name
    while "[" in rest and total:
        head, seq, rest = _first_range(rest)
        pieces.append((head, seq))
        total *= len(seq)
        if total + len(out) > MAX_HOSTS:
            raise PatternError(f"host pattern '{name}' gives more than {MAX_HOSTS} hosts")
    if not total:
        return
    for items in itertools.product(*(seq for _, seq in pieces)):
        out.append(
            "".join(head + item for (head, _), item in zip(pieces, items, strict=True)) + rest
        )


def _first_range(name: str) -> tuple[str, Sequence[str], str]:
    """The text before the first ``[a:b(:c)]`` of ``name``, its items and the text after."""
    parts = name.replace("[", "|", 1).replace("]", "|", 1).split("|")
    if len(parts) != 3:
        raise PatternError(f"cannot expand host range in '{name}' (unbalanced '[' ']' or a '|')")
    head, nrange, tail = parts
    bounds = nrange.split(":")
    if len(bounds) not in (2, 3):
        raise PatternError("host range must be begin:end or begin:end:step")
    beg, end = bounds[0] or "0", bounds[1]
    step = bounds[2] if len(bounds) == 3 else "1"
    if not end:
        raise PatternError("host range must specify end value")
    width = 0
    if beg[0] == "0" and len(beg) > 1:
        width = len(beg)
        if width != len(end):
            raise PatternError("host range must specify equal-length begin and end formats")
    try:
        return head, _alpha_range(beg, end, step), tail
    except ValueError:  # not letters: numbers (Ansible's int(), so ' 1' and '1_0' pass too)
        pass
    if max(len(beg), len(end), len(step)) > 30:
        raise PatternError(f"bad host range [{nrange[:40]}]: numbers too long")
    try:
        numbers = range(int(beg), int(end) + 1, int(step))
    except ValueError as exc:
        raise PatternError(f"bad host range [{nrange}]: {exc}") from exc
    if numbers.stop - numbers.start > MAX_HOSTS * abs(numbers.step):
        raise PatternError(f"host range [{nrange}] gives more than {MAX_HOSTS} hosts")
    return head, _Padded(numbers, width), tail


class _Padded(Sequence[str]):
    """The numbers of a range as host name parts, zero-padded to ``width``."""

    def __init__(self, numbers: range, width: int) -> None:
        self.numbers, self.width = numbers, width

    def __len__(self) -> int:
        return len(self.numbers)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...
    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = self.numbers[i]
        return str(n).zfill(self.width) if self.width else str(n)


def _alpha_range(beg: str, end: str, step: str) -> list[str]:
    """Letters ``beg``..``end`` of ``string.ascii_letters`` (ValueError: not a letter range)."""
    letters = string.ascii_letters
    i_beg, i_end = letters.index(beg), letters.index(end)
    if i_beg > i_end:
        raise PatternError("host range must have begin <= end")
    return list(letters[i_beg : i_end + 1 : int(step)])
