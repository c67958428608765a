"""Typed parameter models (linter/kernel/params.py): memmap pieces, mem=, reserve_mem=, ramoops, trace.

Expectations: arch/x86/kernel/e820.c ``parse_memmap_opt()``/``parse_memmap_one()``/
``parse_memopt()`` (arch/x86/kernel/e820.c parse_memmap_one() forms table, 3.6), mm/memblock.c ``reserve_mem()`` (reference
4.2), kernel/params.c ``STANDARD_PARAM_DEF`` + lib/kstrtox.c for ramoops (fs/pstore/ram.c ramoops_probe()) and
kernel/trace/trace.c ``enable_instances()`` (kernel/trace/trace.c enable_instances(); read in torvalds/linux).
"""

from __future__ import annotations

import pytest
from memmap_lint.kernel.cmdline import Param, parse
from memmap_lint.kernel.consumers import Instance, instances, read_ramoops
from memmap_lint.kernel.e820 import ACPI, PRAM, RAM, RESERVED
from memmap_lint.kernel.params import (
    ADD_FORMS,
    SMP_CACHE_BYTES,
    memmap_items,
    read_mem,
    read_reserve_mem,
)

M = 1 << 20
G = 1 << 30


def one(text: str) -> Param:
    (p,) = parse(text).params
    return p


def items(text: str, wildcard: bool = False) -> list[tuple[str, str]]:
    return [(i.form, i.text) for i in memmap_items(one(text), wildcard)]


# -- memmap= ----------------------------------------------------------------------------------


def test_add_forms_and_their_types() -> None:
    # parse_memmap_one: '@' RAM, '#' ACPI, '$' RESERVED, '!' PRAM.
    assert ADD_FORMS == {"@": RAM, "#": ACPI, "$": RESERVED, "!": PRAM}
    for c, etype in ADD_FORMS.items():
        (item,) = memmap_items(one(f"memmap=12M{c}0x10000000"), False)
        assert item.form == c
        assert item.size is not None and item.size.value == 12 * M
        assert item.start is not None and item.start.value == 0x10000000
        assert item.trailing == "" and item.acts
        assert ADD_FORMS[item.form] == etype


def test_pieces_split_on_every_comma_with_offsets() -> None:
    text = "quiet memmap=exactmap,640K@0,,1G$4G,4G"
    p = parse(text).params[1]
    got = memmap_items(p, False)
    assert [(i.form, i.text) for i in got] == [
        ("exactmap", "exactmap"),
        ("@", "640K@0"),
        ("none", ""),  # empty piece: memparse consumes nothing -> -EINVAL, nothing done
        ("$", "1G$4G"),
        ("limit", "4G"),
    ]
    for i in got:
        assert text[i.offset : i.offset + len(i.text)] == i.text
    assert [i.offset for i in got] == [13, 22, 29, 30, 36]


def test_offsets_inside_a_quoted_value() -> None:
    text = 'memmap="1G$4G,2G$8G"'
    got = memmap_items(one(text), False)
    assert [(i.text, i.offset) for i in got] == [("1G$4G", 8), ("2G$8G", 14)]


def test_bare_memmap_and_empty_value() -> None:
    # `memmap` with no '=' passes NULL: parse_memmap_opt does nothing.
    assert memmap_items(one("memmap"), False) == []
    # `memmap=` passes "": one piece, no number.
    assert items("memmap=") == [("none", "")]


def test_exactmap_prefix() -> None:
    # strncmp(p, "exactmap", 8): anything after the 8 letters is ignored.
    assert items("memmap=exactmapXYZ") == [("exactmap", "exactmapXYZ")]
    # A near miss is not "no number": memparse reads the leading 'e'/'E' as a suffix on nothing
    # (value 0, one character consumed), so the kernel takes the bare branch with a limit of 0
    # and removes every RAM entry.
    for typo in ("exactma", "Exactmap", "eXactmap"):
        (item,) = memmap_items(one(f"memmap={typo}"), False)
        assert item.form == "limit"
        assert item.size is not None and item.size.value == 0 and item.size.end == 1


def test_add_form_trailing_is_reported_but_acts() -> None:
    # `return *p == '\0' ? 0 : -EINVAL;` after the range was added.
    (item,) = memmap_items(one("memmap=1G$4GB"), False)
    assert item.form == "$" and item.trailing == "B" and item.acts


@pytest.mark.parametrize(
    ("piece", "old", "new", "trailing"),
    [
        ("1G%4G-1+2", 1, 2, ""),
        ("1G%4G+2", 0, 2, ""),
        ("1G%4G-2", 2, 0, ""),
        ("1G%4G", 0, 0, ""),
        ("1G%4G-0x80+0xc", 128, 12, ""),  # simple_strtoull base 0
        ("1G%4G-010+2", 8, 2, ""),  # octal
        # enum e820_type is 32 bits: the u64 from simple_strtoull is truncated.
        ("1G%4G-1+4294967298", 1, 2, ""),
        ("1G%4G-4294967297+4294967297", 1, 1, ""),
        ("1G%4G+4294967296", 0, 0, ""),
        ("1G%4G-1+0xefffffff", 1, 0xEFFFFFFF, ""),
        # '-' must precede '+'; anything left -> -EINVAL before acting.
        ("1G%4G+2-1", 0, 2, "-1"),
        ("1G%4G-1+2x", 1, 2, "x"),
        ("1G%4G-1K", 1, 0, "K"),  # no suffix for the types
    ],
)
def test_update_form(piece: str, old: int, new: int, trailing: str) -> None:
    (item,) = memmap_items(one(f"memmap={piece}"), False)
    assert item.form == "%"
    assert (item.old_type, item.new_type, item.trailing) == (old, new, trailing)
    assert item.acts == (trailing == "")


@pytest.mark.parametrize(
    ("piece", "size", "trailing"),
    [
        ("4G", 4 * G, ""),
        ("4GB$12G", 4 * G, "B$12G"),  # typo: the last row of the forms table
        ("4G2G", 4 * G, "2G"),
        ("4GG", 4 * G, "G"),
        ("4Gx30000000", 4 * G, "x30000000"),  # GRUB ate `$0`
        ("12M*4096:oops", 12 * M, "*4096:oops"),  # no wildcard patch: a limit
        ("G", 0, ""),  # memparse consumed the suffix: a limit of 0
    ],
)
def test_limit_form(piece: str, size: int, trailing: str) -> None:
    (item,) = memmap_items(one(f"memmap={piece}"), False)
    assert item.form == "limit"
    assert item.size is not None and item.size.value == size
    assert item.trailing == trailing
    assert item.stop_char == trailing[:1]


def test_no_number_is_ignored() -> None:
    for piece in ("x", "-1", "+1G", "*4096:oops", "$4G"):
        (item,) = memmap_items(one(f"memmap={piece}"), False)
        assert item.form == "none" and not item.acts and item.size is None


def test_wildcard_form_only_with_the_rfc() -> None:
    (item,) = memmap_items(one("memmap=12M*4096:oops"), True)
    assert item.form == "*"
    assert item.size is not None and item.size.value == 12 * M
    assert item.align is not None and item.align.value == 4096
    assert item.name == "oops"
    # The name is the rest of the comma-split piece: it may contain ':' and '=', not ','.
    got = memmap_items(one("memmap=1M*4K:a:b=c,2M*0:d"), True)
    assert [(i.name, i.size.value if i.size else None) for i in got] == [("a:b=c", M), ("d", 2 * M)]
    # Missing ':' -> no name, the rest is trailing.
    (item,) = memmap_items(one("memmap=12M*4096oops"), True)
    assert item.name is None and item.trailing == "oops"
    # Empty alignment: memparse reads nothing, align 0.
    (item,) = memmap_items(one("memmap=12M*:oops"), True)
    assert item.align is not None and item.align.value == 0 and item.name == "oops"


# -- mem= (arch/x86/kernel/e820.c parse_memopt()) ---------------------------------------------------------------------


def test_mem() -> None:
    assert read_mem(one("mem=4G")).limit == 4 * G
    assert read_mem(one("mem=4GB")).limit == 4 * G  # trailing garbage ignored
    assert read_mem(one("mem=0")).limit is None  # 0 -> -EINVAL
    assert read_mem(one("mem=garbage")).limit is None  # 'g' is a suffix on nothing: 0
    assert read_mem(one("mem=-1")).limit is None
    nop = read_mem(one("mem=nopentium"))
    assert nop.nopentium and nop.limit is None
    assert not read_mem(one("mem=nopentiumX")).nopentium  # strcmp, not a prefix
    assert read_mem(one("mem")).limit is None


# -- reserve_mem= (mm/memblock.c reserve_mem()) ---------------------------------------------------------------


def spec(value: str):  # type: ignore[no-untyped-def]
    return read_reserve_mem(one(f"reserve_mem={value}"), value)


def test_reserve_mem_valid() -> None:
    s = spec("12M:4096:oops")
    assert s.error is None
    assert s.size is not None and s.size.value == 12 * M
    assert s.align is not None and s.align.value == 4096
    assert (s.name, s.effective_align) == ("oops", 4096)


@pytest.mark.parametrize("align", ["0", "1", "63", ""])
def test_reserve_mem_small_align_becomes_64(align: str) -> None:
    # if (align < SMP_CACHE_BYTES) align = SMP_CACHE_BYTES;  (64 on x86)
    s = spec(f"1M:{align}:x")
    assert s.error is None
    assert s.effective_align == SMP_CACHE_BYTES == 64


def test_reserve_mem_keeps_odd_aligns() -> None:
    # Not checked for being a power of two (mm/memblock.c reserve_mem()).
    assert spec("1M:0x3000:x").effective_align == 0x3000
    assert spec("1M:65:x").effective_align == 65


@pytest.mark.parametrize(
    "value",
    [
        "",  # no size
        "0:4096:x",  # size 0
        "G:4096:x",  # memparse consumed 'G' but the size is 0
        "x:4096:x",
        "12M",  # no ':' after the size
        "12M@4096:x",
        "12M:4096",  # no ':' after the alignment
        "12M:4096x:oops",
        "12M:4096:",  # empty name
        "12M:4096:0123456789abcdef",  # 16 bytes
        "12M:4096:\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9",  # 8 characters, 16 bytes
        "12M:4096: ",  # whitespace only
        "12M:4096:\t\v",
    ],
)
def test_reserve_mem_rejected(value: str) -> None:
    assert spec(value).error is not None


def test_reserve_mem_name_limits_and_characters() -> None:
    assert spec("1M:4096:0123456789abcde").error is None  # 15 bytes
    assert spec("1M:4096:a:b,c=d").name == "a:b,c=d"  # everything after the second ':'
    assert read_reserve_mem(one("x"), "1M:4096: x ").error is None  # has a non-space character
    assert read_reserve_mem(one("reserve_mem"), None).error is not None


@pytest.mark.parametrize("name", ["\x1c", "\x1f", "\x85", "\u2003", "\u00a0"])
def test_reserve_mem_name_whitespace_is_the_kernels(name: str) -> None:
    # mm/memblock.c reserve_mem(): for (p = name; *p; p++) if (!isspace(*p)) break;
    # None of these characters' UTF-8 bytes is a kernel space (C2 is _U, E2 _L, 80-9F _C), so the
    # name has "text" and is accepted.
    assert read_reserve_mem(one("x"), f"1M:4096:{name}").error is None


# -- ramoops (fs/pstore/ram.c ramoops_probe(): ulong module params, kstrtoul base 0) ------------------------------


@pytest.mark.parametrize(
    ("text", "value", "error"),
    [
        ("ramoops.mem_size=0x100000", 0x100000, None),
        ("ramoops.record_size=4096", 4096, None),
        ("ramoops.record_size=010", 8, None),  # octal
        ("ramoops.mem_size=+1048576", 1048576, None),
        ("ramoops.mem_size=1M", None, "EINVAL"),  # `1M' invalid for parameter
        ("ramoops.record_size=64K", None, "EINVAL"),
        ("ramoops.mem_size=", None, "EINVAL"),
        ("ramoops.mem_size", None, "EINVAL"),  # no value: -EINVAL for a non-bool param
        ("ramoops.mem_size=99999999999999999999", None, "ERANGE"),
    ],
)
def test_ramoops_ulong(text: str, value: int | None, error: str | None) -> None:
    r = read_ramoops(one(text))
    assert (r.value, r.error) == (value, error)


# -- trace_instance= (kernel/trace/trace.c enable_instances()) -----------------------------------------------------------


def _first(param: Param) -> Instance | None:
    found = instances(param)
    return found[0] if found else None


def test_trace_instance_documented_example() -> None:
    # K6.12 Documentation/admin-guide/kernel-parameters.txt:
    # reserve_mem=12M:4096:trace trace_instance=boot_map^traceoff@trace,sched,irq
    t = _first(one("trace_instance=boot_map^traceoff@trace,sched,irq"))
    assert t is not None
    assert (t.name, t.flag_names, t.target, t.events) == (
        "boot_map",
        ("traceoff",),
        "trace",
        ("sched", "irq"),
    )


def test_trace_instance_address_form_and_plain() -> None:
    t = _first(one("trace_instance=boot_map@0x284500000:12M"))
    assert t is not None and (t.name, t.target) == ("boot_map", "0x284500000:12M")
    t = _first(one("trace_instance=foo,sched:sched_switch"))
    assert t is not None and (t.name, t.flag_names, t.target, t.events) == (
        "foo",
        (),
        None,
        ("sched:sched_switch",),
    )
    t = _first(one("trace_instance=foo^traceoff^printk"))
    assert t is not None and t.flag_names == ("traceoff", "printk")
    # boot_instance() stores "" plus its tab; enable_instances() cuts the last tab and strsep()
    # still returns the empty string once: one instance with an empty name.
    t = _first(one("trace_instance="))
    assert t is not None and (t.name, t.target) == ("", None)
    assert _first(one("trace_instance")) is None


def test_trace_instance_flags_after_the_region() -> None:
    # kernel/trace/trace.c enable_instances():
    #   flag_delim = strchr(tok, '^'); addr_delim = strchr(tok, '@');
    #   if (addr_delim) *addr_delim++ = '\0'; if (flag_delim) *flag_delim++ = '\0';
    t = _first(one("trace_instance=boot_map@trace^traceoff,sched"))
    assert t is not None
    assert (t.name, t.flag_names, t.target, t.events) == (
        "boot_map",
        ("traceoff",),
        "trace",
        ("sched",),
    )
