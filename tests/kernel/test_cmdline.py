"""The kernel tokenizer (linter/kernel/cmdline.py): next_arg, parse_args and COMMAND_LINE_SIZE.

Expectations come from lib/cmdline.c ``next_arg()`` and kernel/params.c ``parse_args()`` (read in
torvalds/linux): next_arg() (quotes, first ``=``, whitespace set incl. 0xA0), parse_args()
(``--``, dash2underscore) and arch/x86/include/asm/setup.h (COMMAND_LINE_SIZE 2048, at most
2047 bytes parsed). Real boots with the same separators are recorded in tests/fixtures/kernel-answers/
(cases ``ws_nbsp``, ``ws_vt_ff``, ``ws_tab``, ``ws_x1c``, ``ws_x1f``, ``ws_nel``, ``ws_emsp``,
``quoted``, ``dashdash``, ``trunc_from``/``trunc_to``).
"""

from __future__ import annotations

import pytest
from memmap_lint.kernel.cmdline import (
    COMMAND_LINE_SIZE,
    isspace,
    normalize_name,
    parse,
    swallowed,
    swallowing,
)


def tokens(text: str) -> list[tuple[str, str | None]]:
    return [(p.name, p.value) for p in parse(text).params]


# -- quotes (lib/cmdline.c next_arg()) -------------------------------------------------------------------


def test_quoted_whole_token() -> None:
    # A token may start with '"': the quote is skipped, a trailing '"' of the token is dropped.
    c = parse('"memmap=4G$12G"')
    (p,) = c.params
    assert (p.name, p.value) == ("memmap", "4G$12G")
    assert (p.start, p.end, p.value_start) == (0, 15, 8)
    assert p.raw == '"memmap=4G$12G"'


def test_quoted_value() -> None:
    # If the value starts with '"' that quote is dropped, and the token's last '"' too.
    (p,) = parse('memmap="4G$12G"').params
    assert (p.name, p.value, p.value_start) == ("memmap", "4G$12G", 8)


def test_quotes_elsewhere_stay_and_protect_spaces() -> None:
    # `a"b c"d` is one parameter `a"b c"d` with no value (lib/cmdline.c next_arg(), run).
    assert tokens('a"b c"d x') == [('a"b c"d', None), ("x", None)]
    # A value quote in the middle is kept.
    assert tokens('a=b"c d"') == [("a", 'b"c d"')]
    # A value that starts with a quote but does not end with one keeps the rest as is.
    assert tokens('a="b"c') == [("a", 'b"c')]
    # Quoted spaces inside a value.
    assert tokens('reserve_mem="12M:4096:my name" quiet') == [
        ("reserve_mem", "12M:4096:my name"),
        ("quiet", None),
    ]


def test_unterminated_quote_swallows_the_rest() -> None:
    assert tokens('x "abc def  ghi') == [("x", None), ("abc def  ghi", None)]
    assert tokens('memmap="4G$12G mem=1G') == [("memmap", "4G$12G mem=1G")]
    c = parse('a=" b c  ')
    (p,) = c.params
    # The token runs to the end, trailing spaces included (the kernel stops only at NUL).
    assert (p.value, p.end) == (" b c  ", 9)


def test_lone_quote_tokens() -> None:
    # '"' alone: quoted, empty token; next_arg's `i > 0` guard (lib/cmdline.c).
    assert tokens('"') == [("", None)]
    assert tokens('"a="') == [("a", "")]
    assert tokens('a=""') == [("a", "")]


# -- the first '=' (lib/cmdline.c next_arg()) ------------------------------------------------------------


def test_first_equals_splits() -> None:
    assert tokens("trace_instance=boot@oops,sched=x") == [("trace_instance", "boot@oops,sched=x")]
    assert tokens("a==b") == [("a", "=b")]
    assert tokens("a=") == [("a", "")]


def test_equals_at_index_zero_is_not_a_split() -> None:
    # `equals` starts at 0 and 0 means "none": `=x` is a name with no value.
    assert tokens("=x") == [("=x", None)]
    assert tokens("=") == [("=", None)]
    assert tokens('"=x"') == [("=x", None)]
    # ... and because `equals` is still 0, a later '=' does split (`if (equals == 0)` in the loop).
    assert tokens("=a=b") == [("=a", "b")]


# -- `--` (kernel/params.c parse_args(); init/main.c start_kernel(), arch/x86/kernel/setup.c setup_arch()) ----------------------------------------------------------------


def test_double_dash_ends_kernel_parameters() -> None:
    c = parse("quiet -- memmap=4G$12G single")
    assert [p.name for p in c.params] == ["quiet"]
    assert [(p.name, p.value) for p in c.init_args] == [("memmap", "4G$12G"), ("single", None)]
    assert all(p.after_dashdash for p in c.init_args)
    assert not any(p.after_dashdash for p in c.params)


def test_quoted_double_dash_also_ends_them() -> None:
    # `"--"` loses its quotes in next_arg, then strcmp(param, "--") == 0.
    c = parse('ro "--" mem=1G')
    assert [p.name for p in c.params] == ["ro"]
    assert [p.name for p in c.init_args] == ["mem"]


def test_double_dash_with_a_value_does_not() -> None:
    # `if (!val && strcmp(param, "--") == 0)`: `--=x` has a value, `---` is another name.
    c = parse("--=x --- mem=1G")
    assert [(p.name, p.value) for p in c.params] == [("--", "x"), ("---", None), ("mem", "1G")]
    assert c.init_args == ()


def test_only_the_first_double_dash_counts() -> None:
    c = parse("a -- b -- c")
    assert [p.name for p in c.params] == ["a"]
    assert [p.name for p in c.init_args] == ["b", "--", "c"]


# -- whitespace (lib/cmdline.c next_arg(): isspace() = 0x09-0x0D, 0x20, 0xA0) ---------------------------


@pytest.mark.parametrize("sep", [" ", "\t", "\n", "\v", "\f", "\r", "  \t "])
def test_kernel_whitespace_separates(sep: str) -> None:
    assert tokens(f"a=1{sep}b{sep}c=2") == [("a", "1"), ("b", None), ("c", "2")]


def test_isspace_set() -> None:
    assert [c for c in map(chr, range(256)) if isspace(c)] == list("\t\n\v\f\r \xa0")


@pytest.mark.parametrize(
    "sep",
    [
        "\x1c",  # FILE SEPARATOR: Python's str.split() splits here, the kernel does not (ws_x1c)
        "\x1f",  # UNIT SEPARATOR (ws_x1f)
        "\x85",  # NEL, UTF-8 C2 85 (ws_nel)
        "\u2003",  # EM SPACE, UTF-8 E2 80 83 (ws_emsp)
    ],
)
def test_other_unicode_spaces_do_not_separate(sep: str) -> None:
    # Real boots (stock-6.1 ws_x1c etc.): `memmap=16M$751M<sep>memmap=16M$687M` is one parameter.
    assert tokens(f"memmap=16M$751M{sep}memmap=16M$687M") == [
        ("memmap", f"16M$751M{sep}memmap=16M$687M")
    ]


def test_utf8_nbsp_splits_and_leaves_c2_in_the_previous_token() -> None:
    # U+00A0 is C2 A0 in UTF-8; 0xA0 is a kernel space, 0xC2 is not. Real boot:
    # stock-6.1/dell-poweredge-t630-96g--ws_nbsp.txt (`mem=76288M<NBSP>memmap=16M$51G`).
    c = parse("mem=76288M\u00a0memmap=16M$51G")
    first, second = c.params
    assert first.name == "mem"
    assert first.value is not None
    assert first.value.encode("utf-8", "surrogateescape") == b"76288M\xc2"
    assert (second.name, second.value) == ("memmap", "16M$51G")
    # Spans are character indices: the NBSP is character 10, `memmap` starts at 11.
    assert (first.start, first.end) == (0, 10)
    assert (second.start, second.end, second.value_start) == (11, 25, 18)


def test_leading_and_trailing_whitespace() -> None:
    c = parse(" \t quiet \v\r\n ")
    assert [(p.name, p.start, p.end) for p in c.params] == [("quiet", 3, 8)]
    # A lone UTF-8 NBSP is C2 A0: the C2 byte is a token of its own (half a character, so its
    # span is empty: it starts and ends at the NBSP).
    c = parse(" \t quiet \u00a0 ")
    assert [(p.name, p.start, p.end) for p in c.params] == [("quiet", 3, 8), ("\udcc2", 9, 9)]
    assert parse("").params == ()
    assert parse(" \n\t").params == ()


def test_no_backslash_escapes() -> None:
    assert tokens('a=\\"b c\\"') == [("a", '\\"b c\\"')]
    assert tokens("memmap=4G\\$12G") == [("memmap", "4G\\$12G")]


# -- spans -------------------------------------------------------------------------------------


def test_spans_index_the_original_text() -> None:
    text = ' ro  memmap=12M$0x10000000,4G   "reserve_mem=1M:4K:a b"\tx=\u00e9'
    c = parse(text)
    for p in c.params:
        assert text[p.start : p.end] == p.raw
        if p.value is not None:
            assert p.value_start is not None
            assert text[p.value_start : p.value_start + len(p.value)] == p.value
    _, memmap, rmem, x = c.params
    assert (memmap.start, memmap.end, memmap.value_start) == (5, 29, 12)
    assert (rmem.start, rmem.end, rmem.value_start) == (32, 55, 45)
    assert rmem.value == "1M:4K:a b"
    assert (x.start, x.value_start, x.value) == (56, 58, "\u00e9")


def test_spans_after_non_ascii_are_character_indices() -> None:
    text = "\u00e9t\u00e9=\u2603 memmap=1G$4G"
    c = parse(text)
    first, memmap = c.params
    assert first.name == "\u00e9t\u00e9" and first.value == "\u2603"
    assert (first.start, first.end, first.value_start) == (0, 5, 4)
    assert (memmap.start, memmap.end, memmap.value_start) == (6, 18, 13)
    assert text[memmap.value_start :] == "1G$4G"


def test_index_counts_every_token() -> None:
    c = parse("a b -- c")
    assert [p.index for p in c.params] == [0, 1]
    assert [p.index for p in c.init_args] == [3]


# -- names: '-' and '_' (kernel/params.c parse_args(), parameq/dash2underscore) ------------------------------


def test_dash_and_underscore_are_the_same_in_keys() -> None:
    c = parse("ramoops.mem-name=a ramoops.mem_name=b Ramoops.mem_name=c")
    assert [p.key for p in c.params] == [
        "ramoops.mem_name",
        "ramoops.mem_name",
        "Ramoops.mem_name",  # case-sensitive otherwise
    ]
    assert [p.value for p in c.named("ramoops.mem-name")] == ["a", "b"]
    last = c.last("ramoops.mem_name")
    assert last is not None and last.value == "b"  # module params: the last one wins
    assert c.last("nothing") is None
    assert normalize_name("reserve-mem") == "reserve_mem"


def test_named_ignores_params_after_double_dash() -> None:
    c = parse("mem=1G -- mem=2G")
    assert [p.value for p in c.named("mem")] == ["1G"]


# -- COMMAND_LINE_SIZE (arch/x86/include/asm/setup.h COMMAND_LINE_SIZE) ---------------------------------------------------------


def test_command_line_size() -> None:
    assert COMMAND_LINE_SIZE == 2048  # arch/x86/include/asm/setup.h


def test_2047_bytes_are_kept_whole() -> None:
    text = "a" * 2047
    c = parse(text)
    assert c.truncated_at is None and c.dropped == ()
    assert c.params[0].name == text


def test_2048_bytes_lose_the_last_one() -> None:
    # strscpy(..., COMMAND_LINE_SIZE): 2047 bytes and a NUL.
    text = "a" * 2046 + " b"
    c = parse(text)
    assert c.truncated_at == 2047
    assert [p.name for p in c.params] == ["a" * 2046]
    assert [(p.name, p.start, p.end) for p in c.dropped] == [("b", 2047, 2048)]


def test_truncation_cuts_a_parameter_in_the_middle() -> None:
    # Byte 2047 is the '=': the kernel sees a bare `memmap` (no value, so parse_memmap_opt(NULL)
    # does nothing) and the rest is lost.
    text = "a" * 2040 + " memmap=12M$0x1000 quiet"
    c = parse(text)
    assert c.truncated_at == 2047
    last = c.params[-1]
    assert (last.name, last.value, last.start, last.end) == ("memmap", None, 2041, 2047)
    assert [(p.name, p.value, p.start) for p in c.dropped] == [
        ("=12M$0x1000", None, 2047),
        ("quiet", None, 2059),
    ]


def test_truncation_counts_bytes_not_characters() -> None:
    # U+00E9 is two bytes: 1 + 2045 characters already fill 2047 bytes.
    text = "\u00e9" + "a" * 2046
    c = parse(text)
    assert c.truncated_at == 2046  # a character index
    assert c.params[0].name == "\u00e9" + "a" * 2045
    assert [(p.name, p.start) for p in c.dropped] == [("a", 2046)]


def test_truncation_limit_none_and_custom() -> None:
    text = "a " * 2000
    assert parse(text, None).truncated_at is None
    assert len(parse(text, None).params) == 2000
    c = parse("abc def", 5)
    assert c.truncated_at == 5
    assert [p.name for p in c.params] == ["abc", "d"]
    assert [p.name for p in c.dropped] == ["ef"]


def test_truncation_hides_params_after_double_dash_too() -> None:
    text = "x" * 2045 + " -- mem=1G"
    c = parse(text)
    # Byte 2046 is the first '-': the kernel sees a token "-", not "--".
    assert [p.name for p in c.params] == ["x" * 2045, "-"]
    assert c.init_args == ()


def test_the_separator_is_kept_as_a_token() -> None:
    # parse_args() stops at a bare "--" (kernel/params.c); the token itself is no parameter.
    line = parse('ro "--" init=/bin/sh -- x')
    assert line.separator is not None and line.separator.raw == '"--"'
    assert [t.raw for t in line.tokens()] == ["ro", '"--"', "init=/bin/sh", "--", "x"]
    assert parse("ro quiet").separator is None


def test_an_open_quote_swallows_the_rest() -> None:
    # next_arg() toggles quotes and only a space outside quotes ends a token.
    line = parse('ro memmap="12M$4G quiet splash')
    assert swallowing(line) is line.params[1]
    assert [p.raw for p in swallowed(line)] == ["quiet", "splash"]
    assert swallowed(parse('ro "a b" c')) == []
