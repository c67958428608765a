"""Property tests (hypothesis) of the core against independent models of the kernel.

The models below are written from the kernel sources,
not from linter/: they must not import or copy anything from memmap_lint except what is under
test.
- ``model_sanitize``: arch/x86/kernel/e820.c e820__update_table() read as a statement about memory, page by page: every
  elementary interval between two change points gets the largest type covering it (0 = none);
  neighbours of one type merge unless the type is PRAM (12) or SOFT_RESERVED (0xefffffff), which
  split at every change point (``e820_nomerge()`` is tested at each point); the output stops at
  ``max_entries``.
- ``model_memparse``/``model_kstrtoull``: lib/cmdline.c ``memparse``, lib/kstrtox.c (base detection with the "hex digit
  after 0x" rule, octal on a leading 0, ASCII digits only, wrap modulo 2**64, one K/M/G/T/P/E
  suffix, ``kstrtoull`` with '+', one '\\n', ERANGE, EINVAL).
- ``model_next_arg``: lib/cmdline.c ``next_arg()`` and kernel/params.c ``parse_args()``
  (lib/cmdline.c next_arg(); kernel/params.c parse_args()), on the UTF-8 *bytes* as the kernel sees them.
Simulation is fuzzed over real maps recorded in tests/fixtures/kernel-answers/.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from itertools import pairwise

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from kernel_answers import ANSWERS, read_answer
from memmap_lint.errors import LintError
from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.e820 import Entry, Table
from memmap_lint.kernel.model import INVALID, NO_FIT, PLACED, SHADOWED, UNNAMED, UNSUPPORTED
from memmap_lint.kernel.simulate import simulate
from memmap_lint.kernel.sizes import kernel_size, kstrtoull, memparse, strtoull

U64_MOD = 1 << 64
PAGE = 4096
PRAM_T, SOFT_T = 12, 0xEFFFFFFF
TYPES = [1, 2, 3, 4, 5, 7, 12, 128, 0xEFFFFFFF, 6, 0]

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- an independent model of e820__update_table ----------------------------------------------


def model_sanitize(
    entries: Sequence[tuple[int, int, int]], max_entries: int
) -> list[tuple[int, int, int]]:
    """The sanitized table of ``entries`` (no wrapping entries, at least two of them)."""
    nonempty = [(a, s, t) for a, s, t in entries if s]
    points = sorted({a for a, _, _ in nonempty} | {a + s for a, s, _ in nonempty})
    out: list[list[int]] = []
    for lo, hi in pairwise(points):
        kind = max((t for a, s, t in nonempty if a <= lo and hi <= a + s), default=0)
        if kind == 0:
            continue
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev[2] == kind
            and prev[0] + prev[1] == lo
            and kind not in (PRAM_T, SOFT_T)
        ):
            prev[1] += hi - lo
        else:
            out.append([lo, hi - lo, kind])
    return [(a, s, t) for a, s, t in out][:max_entries]


page_entries = st.lists(
    st.tuples(
        st.integers(0, 48).map(lambda p: p * PAGE),
        st.integers(0, 20).map(lambda p: p * PAGE),
        st.sampled_from(TYPES),
    ),
    min_size=2,
    max_size=12,
)


@FAST
@given(page_entries, st.integers(0, 6))
@example([(0, PAGE, PRAM_T), (PAGE, PAGE, PRAM_T)], 0)
@example([(0, 4 * PAGE, SOFT_T), (PAGE, PAGE, 1), (0, 4 * PAGE, SOFT_T)], 0)
@example([(0, 4 * PAGE, 1), (PAGE, PAGE, 2), (3 * PAGE, PAGE, 2)], 0)
def test_sanitize_matches_the_model(entries: list[tuple[int, int, int]], extra: int) -> None:
    # max_entries >= nr_entries (the kernel BUG_ONs otherwise); small values truncate the output.
    max_entries = len(entries) + extra
    t = Table.from_entries([Entry(*e) for e in entries], max_entries)
    t.slots.append([0xABC000, PAGE, 1])  # a slot past the end, as exactmap leaves them
    before = [list(s) for s in t.slots]
    assert t.sanitize()
    got = [(e.start, e.size, e.type) for e in t.entries()]
    assert got == model_sanitize(entries, max_entries)
    # Sorted, non-overlapping, no zero size.
    assert all(s > 0 for _, s, _ in got)
    assert all(a1 + s1 <= a2 for (a1, s1, _), (a2, _, _) in pairwise(got))
    # Slots past the new count keep their old contents.
    assert t.slots[t.nr_entries :] == before[t.nr_entries :]


@FAST
@given(page_entries)
def test_sanitize_is_idempotent(entries: list[tuple[int, int, int]]) -> None:
    t = Table.from_entries([Entry(*e) for e in entries])
    t.sanitize()
    once = t.entries()
    t.sanitize()  # may refuse (< 2 entries): then the table stays as it is
    assert t.entries() == once


@FAST
@given(
    st.lists(
        st.tuples(st.integers(0, U64_MOD - 1), st.integers(0, U64_MOD - 1), st.sampled_from(TYPES)),
        max_size=4,
    )
)
def test_sanitize_refusals(entries: list[tuple[int, int, int]]) -> None:
    # nr_entries < 2 or any addr + size wrapping 2**64: -1 and the table untouched.
    t = Table.from_entries([Entry(*e) for e in entries])
    before = ([list(s) for s in t.slots], t.nr_entries)
    refuse = len(entries) < 2 or any(a + s >= U64_MOD for a, s, _ in entries)
    assert t.sanitize() is not refuse
    if refuse:
        assert ([list(s) for s in t.slots], t.nr_entries) == before
    else:
        got = [(e.start, e.size, e.type) for e in t.entries()]
        assert all(a1 + s1 <= a2 and s1 > 0 for (a1, s1, _), (a2, _, _) in pairwise(got))


# -- an independent model of memparse / simple_strtoull / kstrtoull ----------------------------

_DIGITS = "0123456789abcdef"
_SHIFTS = {"k": 10, "m": 20, "g": 30, "t": 40, "p": 50, "e": 60}


def _digit(c: str) -> int:
    if not c.isascii():
        return 99
    return _DIGITS.find(c.lower()) if c.lower() in _DIGITS else 99


def model_strtoull(s: str, pos: int) -> tuple[int, int, int]:
    """(exact value, end index, base) of simple_strtoull(s + pos, &end, 0)."""
    i = pos
    base = 10
    if s[i : i + 1] == "0":
        base = 8
        if s[i + 1 : i + 2] in ("x", "X") and i + 2 < len(s) and _digit(s[i + 2]) < 16:
            base = 16
            i += 2
    value = 0
    while i < len(s) and _digit(s[i]) < base:
        value = value * base + _digit(s[i])
        i += 1
    return value, i, base


def model_memparse(s: str, pos: int) -> tuple[int, int, bool]:
    """(value, end index, wrapped) of memparse(s + pos, &end)."""
    exact, end, _ = model_strtoull(s, pos)
    c = s[end : end + 1]
    if c and c.isascii() and c.lower() in _SHIFTS:
        exact <<= _SHIFTS[c.lower()]
        end += 1
    return exact % U64_MOD, end, exact >= U64_MOD


def model_kstrtoull(s: str) -> tuple[int | None, str | None]:
    if s.startswith("+"):
        s = s[1:]
    exact, end, base = model_strtoull(s, 0)
    start = 2 if base == 16 else 0
    if end == start:
        return None, "EINVAL"
    if exact >= U64_MOD:
        return None, "ERANGE"
    if s[end:] not in ("", "\n"):
        return None, "EINVAL"
    return exact, None


number_text = st.one_of(
    st.text(alphabet=st.sampled_from(list("0123456789abcdefxXkKmMgGtTpPeE+-.:$ \n")), max_size=24),
    st.text(
        alphabet=st.sampled_from(["0", "1", "9", "x", "F", "G", "\u212a", "\u00e9", "\uff11"]),
        max_size=8,
    ),
    st.integers(0, 1 << 70).map(str),
    st.integers(0, 1 << 70).map(hex),
    st.text(max_size=12),
)


@st.composite
def text_and_position(draw: st.DrawFn) -> tuple[str, int]:
    text = draw(number_text)
    return text, draw(st.integers(0, len(text)))


@FAST
@given(text_and_position())
@example(("16E", 0))
@example(("0x1E", 0))
@example(("18446744073709551617", 0))
@example(("0x", 0))
@example(("08M", 0))
@example(("memmap=12M$0x1000", 7))
def test_memparse_matches_the_model(case: tuple[str, int]) -> None:
    text, pos = case
    got = memparse(text, pos)
    assert (got.value, got.end, got.wrapped) == model_memparse(text, pos)
    assert got.start == pos and got.consumed == (got.end != pos)
    assert got.value == got.exact % U64_MOD
    exact, end, base = model_strtoull(text, pos)
    plain = strtoull(text, pos)
    assert (plain.value, plain.end, plain.base, plain.exact) == (exact % U64_MOD, end, base, exact)


@FAST
@given(number_text)
@example("99999999999999999999x")  # ERANGE is tested before the trailing text
@example("+0x10\n")
def test_kstrtoull_matches_the_model(text: str) -> None:
    got = kstrtoull(text)
    assert (got.value, got.error) == model_kstrtoull(text)


@FAST
@given(st.integers(0, U64_MOD - 1))
def test_kernel_size_round_trips_through_memparse(n: int) -> None:
    text = kernel_size(n)
    back = memparse(text)
    assert (back.value, back.end, back.wrapped) == (n, len(text), False)


# -- an independent model of next_arg/parse_args on bytes -------------------------------------

KSPACE = frozenset(b"\t\n\v\f\r \xa0")
Token = tuple[int, int, bytes, bytes | None, int | None]


def model_next_arg(data: bytes) -> tuple[list[Token], list[Token]]:
    """(kernel params, init args) as (start, end, name, value, value index) in byte offsets."""
    n = len(data)
    i = 0
    while i < n and data[i] in KSPACE:
        i += 1
    params: list[Token] = []
    init: list[Token] = []
    after = False
    while i < n:
        start = i
        quoted = data[i] == ord('"')
        body = i + 1 if quoted else i
        in_quote = quoted
        equals = 0
        j = body
        while j < n:
            c = data[j]
            if c in KSPACE and not in_quote:
                break
            if equals == 0 and c == ord("="):
                equals = j - body
            if c == ord('"'):
                in_quote = not in_quote
            j += 1
        buf = bytearray(data[body:j])
        last = len(buf) - 1
        value: bytes | None = None
        vindex: int | None = None
        v = 0
        if equals:
            buf[equals] = 0
            v = equals + 1
            if v <= last and buf[v] == ord('"'):
                v += 1
                if buf[last] == ord('"'):
                    buf[last] = 0
            vindex = body + v
        if quoted and last >= 0 and buf[last] == ord('"'):
            buf[last] = 0
        name = bytes(buf).split(b"\0")[0]
        if equals:
            value = bytes(buf[v:]).split(b"\0")[0]
        i = j + 1 if j < n else j
        while i < n and data[i] in KSPACE:
            i += 1
        if not after and value is None and name == b"--":
            after = True
            continue
        (init if after else params).append((start, j, name, value, vindex))
    return params, init


cmdline_text = st.one_of(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(list(' \t\n\v\f\r"=-_,aM$@\x1c\u00e9\u00a0\u0120\u2003')),
            st.characters(codec="utf-8", exclude_characters="\x00"),
        ),
        max_size=40,
    ),
    st.lists(
        st.sampled_from(
            ["--", '"--"', "memmap=4G$12G", '"a b"', 'a="b c"', "=x", "=a=b", '"', "\u00a0", "x"]
        ),
        max_size=6,
    ).map(" ".join),
)


def _char_of_byte(text: str) -> list[int]:
    table: list[int] = []
    for ci, ch in enumerate(text):
        table.extend([ci] * len(ch.encode("utf-8")))
    table.append(len(text))
    return table


@FAST
@given(cmdline_text)
def test_tokenizer_matches_the_byte_model(text: str) -> None:
    data = text.encode("utf-8")
    char_of = _char_of_byte(text)
    c = parse(text, None)
    want_params, want_init = model_next_arg(data)
    for got, want in ((c.params, want_params), (c.init_args, want_init)):
        assert len(got) == len(want)
        for p, (start, end, name, value, vindex) in zip(got, want, strict=True):
            assert p.name.encode("utf-8", "surrogateescape") == name
            assert (
                None if p.value is None else p.value.encode("utf-8", "surrogateescape")
            ) == value
            assert (p.start, p.end) == (char_of[start], char_of[end])
            assert p.value_start == (None if vindex is None else char_of[vindex])
            assert p.raw == text[p.start : p.end]


@FAST
@given(cmdline_text)
def test_rejoining_raw_spans_reproduces_the_tokens(text: str) -> None:
    # A character whose UTF-8 form holds the byte 0xA0 (a kernel space) is split in two by the
    # kernel: its raw span cannot hold half a character, so such texts are left out here.
    assume(not any(0xA0 in ch.encode("utf-8") for ch in text))
    c = parse(text, None)
    again = parse(" ".join(p.raw for p in c.params), None)
    assert again.init_args == ()
    assert [(p.name, p.value) for p in again.params] == [(p.name, p.value) for p in c.params]
    # After `--` every token is passed on, `--` included.
    again = parse(" ".join(["--", *(p.raw for p in c.init_args)]), None)
    assert again.params == ()
    assert [(p.name, p.value) for p in again.init_args] == [(p.name, p.value) for p in c.init_args]


@FAST
@given(st.integers(2030, 2060), cmdline_text)
def test_tokenizer_never_raises_and_truncates_at_2047_bytes(pad: int, tail: str) -> None:
    text = "x" * pad + " " + tail
    c = parse(text)
    size = len(text.encode("utf-8"))
    if size <= 2047:
        assert c.truncated_at is None and c.dropped == ()
    else:
        assert c.truncated_at is not None
        assert len(text[: c.truncated_at].encode("utf-8")) <= 2047
        assert all(p.start >= c.truncated_at for p in c.dropped)
    for p in (*c.params, *c.init_args):
        assert p.end <= (c.truncated_at if c.truncated_at is not None else len(text))


def test_tokenizer_survives_lone_surrogates() -> None:
    # A lone surrogate cannot reach the kernel; it may come from JSON ("\ud800"). The parser must
    # give a result or a LintError, and the parameters around it keep their spans.
    with suppress(LintError):
        c = parse("\ud800 memmap=1G")
        (memmap,) = c.named("memmap")
        assert (memmap.value, memmap.start, memmap.end) == ("1G", 2, 11)


@FAST
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(categories=["Cs"]), st.sampled_from(list(' "=aM\u00a0\u00e9\udc80'))
        ),
        max_size=30,
    )
)
def test_tokenizer_never_raises_on_surrogates(text: str) -> None:
    with suppress(LintError):
        c = parse(text)
        for p in (*c.params, *c.init_args):
            assert 0 <= p.start <= p.end <= len(text)
            assert p.raw == text[p.start : p.end]


# -- simulate never raises, over real maps -----------------------------------------------------

# Real maps: each file's own "user-defined" table (the host's map rebuilt by exactmap, so
# sanitized) or its BIOS-e820 table (QEMU's).
_REAL = [
    read_answer(ANSWERS / "mainline-6.12" / "redhat-kvm-530m-syslog--identity.txt").table,
    read_answer(ANSWERS / "mainline-6.12" / "intel-s2600wtt-64g--identity.txt").table,
    read_answer(ANSWERS / "stock-6.1" / "acer-travelmate-5735z-3g--identity.txt").table,
    read_answer(ANSWERS / "rfc-6.1" / "qemu-i440fx-8g--0.txt").firmware,
]
REAL_MAPS = [m for m in _REAL if m]

sizes = st.one_of(
    st.sampled_from(
        [
            *("0", "1", "4K", "640K", "12M", "1G", "2G", "4G", "16E", "12E", "0x1000", "0x"),
            *("010", "08M", "4GB", "G", "", "18446744073709551615", "1e", "0x7ffe0000"),
        ]
    ),
    st.integers(0, (1 << 64) + 5).map(str),
    st.integers(0, 1 << 40).map(hex),
    st.tuples(st.integers(0, 9999), st.sampled_from("KMGTPEkmg")).map(lambda t: f"{t[0]}{t[1]}"),
)
types = st.one_of(
    st.sampled_from(["0", "1", "2", "3", "4", "12", "128", "0xefffffff", "4294967297", "x"]),
    st.integers(0, 1 << 33).map(str),
)
names = st.text(alphabet=st.sampled_from(list("abz09:=_\u00e9\x1c")), max_size=18)
pieces = st.one_of(
    st.just("exactmap"),
    st.tuples(sizes, st.sampled_from("@#$!"), sizes).map("".join),
    st.tuples(
        sizes,
        sizes,
        st.one_of(st.just(""), types.map(lambda t: "-" + t)),
        st.one_of(st.just(""), types.map(lambda t: "+" + t)),
    ).map(lambda t: f"{t[0]}%{t[1]}{t[2]}{t[3]}"),
    st.tuples(sizes, sizes, names).map(lambda t: f"{t[0]}*{t[1]}:{t[2]}"),
    st.tuples(sizes, sizes).map(lambda t: f"{t[0]}*{t[1]}"),
    sizes,
    st.text(alphabet=st.sampled_from(list("0123456789xKMG@#$!%*:-+,")), max_size=8),
)
fragments = st.one_of(
    st.lists(pieces, min_size=1, max_size=4).map(lambda ps: "memmap=" + ",".join(ps)),
    st.one_of(sizes, st.just("nopentium"), st.text(max_size=4)).map(lambda v: "mem=" + v),
    st.tuples(sizes, sizes, names).map(lambda t: f"reserve_mem={t[0]}:{t[1]}:{t[2]}"),
    st.text(alphabet=st.sampled_from(list("0123456789KMG:ab")), max_size=10).map(
        lambda v: "reserve_mem=" + v
    ),
    st.sampled_from(["--", "memmap", "mem", "reserve_mem", '"', "quiet", "memmap=exactmap"]),
    st.text(max_size=8),
)
STATUSES = {PLACED, NO_FIT, INVALID, UNNAMED, SHADOWED, UNSUPPORTED}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(range(len(REAL_MAPS))),
    st.lists(fragments, max_size=8).map(" ".join),
    st.sampled_from(["stock", "rfc", "mainline"]),
)
def test_simulate_never_raises_on_memory_parameters(index: int, cmdline: str, dialect: str) -> None:
    firmware = REAL_MAPS[index]
    sim = simulate(firmware, cmdline, dialect)
    if sim.panic is not None:
        assert sim.table == ()
    elif sim.userdef:
        # The finish sanitize ran: sorted, non-overlapping, no empty entries.
        t = sim.table
        assert all(e.size > 0 for e in t)
        assert all(a.end <= b.start for a, b in pairwise(t))
    else:
        assert sim.table == tuple(firmware)
    for r in sim.regions:
        assert r.status in STATUSES
        assert (r.start is None) == (r.status in (NO_FIT, INVALID, UNSUPPORTED))
    placed = [r for r in sim.regions if r.status == PLACED and r.kind == "reserve_mem"]
    assert len(placed) <= 8
    ram: list[list[int]] = []  # usable RAM, touching entries merged (memblock.memory)
    for e in sim.table:
        if e.type in (1, 128):
            if ram and ram[-1][1] == e.start:
                ram[-1][1] = e.end
            else:
                ram.append([e.start, e.end])
    for r in placed:
        # memblock hands out disjoint, mask-aligned ranges of usable RAM.
        assert r.start is not None and r.align is not None
        assert r.start & (r.align - 1) == 0
        assert any(lo <= r.start and r.start + r.size <= hi for lo, hi in ram)
    spans = sorted((r.start, r.start + r.size) for r in placed if r.start is not None)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(spans))
    if dialect == "stock":
        assert all(r.status == UNSUPPORTED for r in sim.regions)
    if dialect == "rfc":
        assert len([r for r in sim.regions if r.status in (PLACED, SHADOWED)]) <= 8
