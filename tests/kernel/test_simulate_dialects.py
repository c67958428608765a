"""simulate() per dialect on a small hand-made map (linter/kernel/simulate.py, dialects/, release.py).

Every expected table is written out as the kernel prints it ("user-defined physical RAM map")
and was worked out by hand from:
- arch/x86/kernel/e820.c ``parse_memmap_one()``, ``parse_memopt()``,
  ``e820__finish_early_params()`` (arch/x86/kernel/e820.c parse_memmap_one() forms table, 3.6 mem=, 3.7 finish/panic),
  with the primitives and sanitize of arch/x86/kernel/e820.c __e820__range_update(); arch/x86/kernel/e820.c e820__update_table();
- the seed RFC's ``e820__region()``/``e820_add_mmap()``/``memmap_named()`` (the RFC patch's e820__region(); the RFC patch's memmap_named();
  the memmap=nn*align:name RFC patch);
- mm/memblock.c ``reserve_mem()`` (mm/memblock.c reserve_mem()) and its top-down allocation (4.3);
- the kernel dialects (README.md).
The same behaviours on real kernels are replayed from tests/fixtures/kernel-answers/ by
test_kernel_answers.py; here each rule is isolated on a map small enough to check by hand.
"""

from __future__ import annotations

import pytest
from memmap_lint.kernel.dialects import rfc
from memmap_lint.kernel.e820 import RAM, RESERVED, RESERVED_KERN, Entry, Table
from memmap_lint.kernel.model import (
    INVALID,
    MAINLINE,
    NO_FIT,
    PLACED,
    RFC,
    SHADOWED,
    STOCK,
    UNNAMED,
    UNSUPPORTED,
)
from memmap_lint.kernel.release import kernel_for, parse_release
from memmap_lint.kernel.simulate import PANIC_INVALID_MAP, Simulation, simulate

M = 1 << 20
G = 1 << 30

# A small firmware map in the shape QEMU and most PCs give: low RAM, the legacy hole, RAM up to
# just below 2 GiB, the PCI hole, and 2 GiB of RAM above 4 GiB.
FIRMWARE = (
    Entry(0x0, 0x9FC00, RAM),
    Entry(0x9FC00, 0x400, RESERVED),
    Entry(0xF0000, 0x10000, RESERVED),
    Entry(0x100000, 0x7FFE0000 - 0x100000, RAM),
    Entry(0x7FFE0000, 0x20000, RESERVED),
    Entry(0xFFFC0000, 0x40000, RESERVED),
    Entry(0x100000000, 0x80000000, RAM),
)
L0 = "[mem 0x0000000000000000-0x000000000009fbff] usable"
L1 = "[mem 0x000000000009fc00-0x000000000009ffff] reserved"
L2 = "[mem 0x00000000000f0000-0x00000000000fffff] reserved"
L3 = "[mem 0x0000000000100000-0x000000007ffdffff] usable"
L4 = "[mem 0x000000007ffe0000-0x000000007fffffff] reserved"
L5 = "[mem 0x00000000fffc0000-0x00000000ffffffff] reserved"
L6 = "[mem 0x0000000100000000-0x000000017fffffff] usable"
BASE = [L0, L1, L2, L3, L4, L5, L6]
DIALECTS = [STOCK, RFC, MAINLINE]


def run(cmdline: str, dialect: str = STOCK) -> Simulation:
    return simulate(FIRMWARE, cmdline, dialect)


def printed(sim: Simulation) -> list[str]:
    return [e.describe() for e in sim.table]


def test_firmware_lines_match_the_map() -> None:
    assert [e.describe() for e in FIRMWARE] == BASE


def test_nothing_to_do() -> None:
    sim = run("ro quiet")
    assert printed(sim) == BASE
    assert sim.panic is None and not sim.userdef and sim.regions == ()


# -- memmap= forms, the same in every dialect (arch/x86/kernel/e820.c parse_memmap_one()) -----------------------------------

AROUND_256M = [
    "[mem 0x0000000000100000-0x000000000fffffff] usable",
    "[mem 0x0000000010000000-0x0000000010ffffff] {}",
    "[mem 0x0000000011000000-0x000000007ffdffff] usable",
]


def carve(type_text: str) -> list[str]:
    """BASE with [256 MiB, 272 MiB) of L3 turned into ``type_text``."""
    return [L0, L1, L2, *(line.format(type_text) for line in AROUND_256M), L4, L5, L6]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("piece", "type_text"),
    [
        ("16M$0x10000000", "reserved"),
        ("16M#0x10000000", "ACPI data"),
        ("16M!0x10000000", "persistent (type 12)"),
        ("16M%0x10000000-1+2", "reserved"),  # update RAM -> reserved
        ("16M%0x10000000+2", "reserved"),  # add reserved (2 > 1: wins in the sanitize)
        ("16M%0x10000000+4", "ACPI NVS"),
        ("16M%0x10000000-1+4294967298", "reserved"),  # enum e820_type: 2**32 + 2 -> 2
        ("16M%0x10000000-1+0x80", "usable"),  # RESERVED_KERN prints "usable"
        ("0x1000000$256M", "reserved"),
        ("16384K$262144K", "reserved"),
    ],
)
def test_carving_forms(dialect: str, piece: str, type_text: str) -> None:
    sim = run(f"memmap={piece}", dialect)
    assert sim.panic is None and sim.userdef
    assert printed(sim) == carve(type_text)


def test_update_to_reserved_kern_keeps_the_type() -> None:
    sim = run("memmap=16M%0x10000000-1+128")
    assert [e.type for e in sim.table][3:6] == [RAM, RESERVED_KERN, RAM]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_update_remove_old_type_only(dialect: str) -> None:
    # `-old` only: e820__range_remove(start, size, old, 1). `+4294967296` truncates to 0.
    hole = [
        *(L0, L1, L2),
        "[mem 0x0000000000100000-0x000000000fffffff] usable",
        "[mem 0x0000000011000000-0x000000007ffdffff] usable",
        *(L4, L5, L6),
    ]
    assert printed(run("memmap=16M%0x10000000-1", dialect)) == hole
    assert printed(run("memmap=16M%0x10000000-1+4294967296", dialect)) == hole
    # Removing type 2 only: the reserved entry at the top of 4 GiB goes, RAM stays.
    assert printed(run("memmap=256K%0xfffc0000-2", dialect)) == [L0, L1, L2, L3, L4, L6]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_update_neither_type_removes_everything_in_range(dialect: str) -> None:
    # e820__range_remove(start, size, 0, 0): [3 GiB, 5 GiB) loses the reserved entry and half of
    # the high RAM.
    sim = run("memmap=2G%0xc0000000", dialect)
    assert printed(sim) == [
        L0,
        L1,
        L2,
        L3,
        L4,
        "[mem 0x0000000140000000-0x000000017fffffff] usable",
    ]


def test_update_add_does_not_override_a_higher_type() -> None:
    # `+1` without `-2` appends a RAM entry, and reserved (2) wins the sanitize (arch/x86/kernel/e820.c parse_memmap_one()).
    sim = run("memmap=128K%0x7ffe0000+1")
    assert printed(sim) == BASE and sim.userdef
    # With `-2+1` the reserved entry really becomes RAM and merges with its neighbour.
    sim = run("memmap=128K%0x7ffe0000-2+1")
    assert printed(sim) == [
        L0,
        L1,
        L2,
        "[mem 0x0000000000100000-0x000000007fffffff] usable",
        L5,
        L6,
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "piece",
    ["16M%0x10000000-1+1", "16M%0x10000000-2+2", "16M%0x10000000-4294967297+4294967297"],
)
def test_update_with_equal_types_is_a_kernel_bug(dialect: str, piece: str) -> None:
    # __e820__range_update: BUG_ON(old_type == new_type).
    sim = run(f"quiet memmap={piece} memmap=1G", dialect)
    assert sim.panic is not None and "BUG" in sim.panic
    assert sim.table == ()


@pytest.mark.parametrize(
    "piece", ["16M%0x10000000-1+2x", "16M%0x10000000+2-1", "16M%0x10000000-1K"]
)
def test_update_with_trailing_text_does_nothing(piece: str) -> None:
    # `if (*p != '\0') return -EINVAL;` comes before any action; userdef is already 1.
    sim = run(f"memmap={piece}")
    assert printed(sim) == BASE and sim.userdef and sim.panic is None
    assert [e.action for e in sim.events] == ["ignored"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_add_ram(dialect: str) -> None:
    sim = run("memmap=1G@8G", dialect)
    assert printed(sim) == [*BASE, "[mem 0x0000000200000000-0x000000023fffffff] usable"]
    # Adjacent RAM merges.
    sim = run("memmap=2G@6G", dialect)
    assert printed(sim) == [
        L0,
        L1,
        L2,
        L3,
        L4,
        L5,
        "[mem 0x0000000100000000-0x00000001ffffffff] usable",
    ]


def test_add_ram_over_reserved_has_no_effect() -> None:
    # `@` does not force RAM where the firmware says reserved: type 2 beats the appended type 1.
    sim = run("memmap=64K@0xf0000")
    assert printed(sim) == BASE and sim.userdef


BELOW_1G = [L0, L1, L2, "[mem 0x0000000000100000-0x000000003fffffff] usable", L4, L5]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "piece",
    [
        "1G",  # the bare limit
        "1024M",
        "1GB$0x10000000",  # typos land in the last row of the forms table
        "1G2G",
        "1GG",  # real boot case 4GG
        "1Gx10000000",  # GRUB ate `$0`
        "1G:oops",
        "1G^0x10000000",
    ],
)
def test_limit_forms_remove_ram_above(dialect: str, piece: str) -> None:
    # e820__range_remove(nn, ULLONG_MAX - nn, E820_TYPE_RAM, 1): reserved entries above stay.
    sim = run(f"memmap={piece}", dialect)
    assert printed(sim) == BELOW_1G
    (event,) = sim.events
    assert event.action == "limit" and event.level == "error"


def test_limit_of_zero_from_a_bare_suffix() -> None:
    # `memmap=exactma` (typo): memparse reads 'e' as a suffix on nothing: limit 0, all RAM goes.
    sim = run("memmap=exactma")
    assert printed(sim) == [L1, L2, L4, L5]
    sim = run("memmap=G")
    assert printed(sim) == [L1, L2, L4, L5]


def test_no_number_is_ignored_and_not_user_defined() -> None:
    # `if (p == oldp) return -EINVAL;` before userdef = 1.
    sim = run("memmap=x memmap= memmap")
    assert printed(sim) == BASE and not sim.userdef


# -- exactmap and the finish sanitize (arch/x86/kernel/e820.c parse_memmap_one(); arch/x86/kernel/e820.c e820__finish_early_params()) --------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "cmdline",
    [
        "memmap=exactmap",
        "memmap=exactmap,1G@0",
        "memmap=exactmap memmap=1G@0",
        "memmap=exactmapjunk,0@0",
        "memmap=1G@0 memmap=exactmap",
    ],
)
def test_exactmap_with_fewer_than_two_entries_panics(dialect: str, cmdline: str) -> None:
    sim = run(cmdline, dialect)
    assert sim.panic == PANIC_INVALID_MAP == "Invalid user supplied memory map"
    assert sim.table == ()


def test_exactmap_with_two_entries() -> None:
    sim = run("memmap=exactmap,640K@0,1G@1M")
    assert sim.panic is None
    assert printed(sim) == [
        "[mem 0x0000000000000000-0x000000000009ffff] usable",
        "[mem 0x0000000000100000-0x00000000400fffff] usable",
    ]


def test_exactmap_with_only_empty_entries_does_not_panic() -> None:
    # Two zero-size entries: nr_entries is 2, the sanitize succeeds with an empty table.
    sim = run("memmap=exactmap,0@0,0@0")
    assert sim.panic is None and sim.table == ()


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "piece",
    [
        "8K$0xfffffffffffff000",  # wraps past 2**64
        "4K$0xfffffffffffff000",  # ends exactly at 2**64: addr + size == 0 < addr
        "1@0xffffffffffffffff",
        "2E@15E",
    ],
)
def test_entry_wrapping_2_64_panics(dialect: str, piece: str) -> None:
    sim = run(f"memmap={piece}", dialect)
    assert sim.panic == PANIC_INVALID_MAP and sim.table == ()


def test_entry_up_to_the_last_byte_is_fine() -> None:
    sim = run("memmap=4095$0xfffffffffffff000")
    assert printed(sim) == [*BASE, "[mem 0xfffffffffffff000-0xfffffffffffffffe] reserved"]


# -- mem= (arch/x86/kernel/e820.c parse_memopt()) ----------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_mem_is_an_address_limit(dialect: str) -> None:
    sim = run("mem=1G", dialect)
    assert printed(sim) == BELOW_1G and sim.userdef
    # mem=4G drops all of the high RAM although only ~2 GiB are below 4 GiB.
    sim = run("mem=4G", dialect)
    assert printed(sim) == [L0, L1, L2, L3, L4, L5]


@pytest.mark.parametrize(
    ("value", "userdef"),
    [
        ("0", True),  # userdef = 1 before memparse; 0 -> -EINVAL, table untouched
        ("garbage", True),  # 'g' is a suffix on nothing: 0
        ("-1", True),
        ("0x", True),
        ("nopentium", False),  # x86-64: ignored before userdef is set
    ],
)
def test_mem_values_the_kernel_refuses(value: str, userdef: bool) -> None:
    sim = run(f"mem={value}")
    assert printed(sim) == BASE and sim.panic is None
    assert sim.userdef is userdef
    (event,) = sim.events
    assert event.action == "ignored"


def test_mem_nopentium_message_and_bare_mem() -> None:
    sim = run("mem=nopentium")
    assert sim.events[0].message == "mem=nopentium ignored! (only supported on x86_32)"
    sim = run("mem")
    assert printed(sim) == BASE and not sim.userdef
    assert "Malformed early option 'mem'" in sim.events[0].message


def test_order_matters() -> None:
    # arch/x86/kernel/e820.c parse_memmap_one(): "memmap=1G@8G mem=4G loses the added RAM, mem=4G memmap=1G@8G keeps it".
    below_4g = [L0, L1, L2, L3, L4, L5]
    assert printed(run("memmap=1G@8G mem=4G")) == below_4g
    assert printed(run("mem=4G memmap=1G@8G")) == [
        *below_4g,
        "[mem 0x0000000200000000-0x000000023fffffff] usable",
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_parameters_after_double_dash_are_ignored(dialect: str) -> None:
    sim = run("ro -- memmap=1G mem=1G memmap=exactmap reserve_mem=1M:4K:x", dialect)
    assert printed(sim) == BASE
    assert not sim.userdef and sim.events == () and sim.regions == ()


def test_truncated_command_line_drops_what_is_past_2047_bytes() -> None:
    # COMMAND_LINE_SIZE (arch/x86/include/asm/setup.h COMMAND_LINE_SIZE): byte 2047 is the '=' of memmap=, the kernel sees a bare
    # `memmap` (NULL value: nothing happens).
    sim = run("a" * 2040 + " memmap=1G")
    assert printed(sim) == BASE and not sim.userdef


def test_setup_data_becomes_reserved_kern() -> None:
    # e820__reserve_setup_data (arch/x86/kernel/setup.c setup_arch()): RAM -> RESERVED_KERN, then sanitize.
    sim = simulate(FIRMWARE, "quiet", kernel_for("6.1.0-28-amd64"), [(0x10000000, 0x100)])
    assert [(e.start, e.size, e.type) for e in sim.table][3:6] == [
        (0x100000, 0x10000000 - 0x100000, RAM),
        (0x10000000, 0x100, RESERVED_KERN),
        (0x10000100, 0x7FFE0000 - 0x10000100, RAM),
    ]


def test_unsorted_firmware_map_is_sanitized_first() -> None:
    # e820__memory_setup_default() sanitizes the firmware table before parse_early_param
    # (arch/x86/kernel/setup.c setup_arch()); the JSON report contract: with nothing to edit, the output is the
    # sanitized firmware map.
    sim = simulate(tuple(reversed(FIRMWARE)), "quiet", STOCK)
    assert printed(sim) == BASE


# -- stock and mainline: `memmap=nn*...` is a limit (arch/x86/kernel/e820.c parse_memmap_one()) -------------------


@pytest.mark.parametrize("dialect", [STOCK, MAINLINE])
def test_wildcard_without_the_patch_is_a_limit(dialect: str) -> None:
    sim = run("memmap=12M*4096:oops", dialect)
    assert printed(sim) == [
        L0,
        L1,
        L2,
        "[mem 0x0000000000100000-0x0000000000bfffff] usable",
        L4,
        L5,
    ]
    (region,) = sim.regions
    assert (region.name, region.status, region.start, region.size) == (
        "oops",
        UNSUPPORTED,
        None,
        12 * M,
    )
    assert region.align == 4096
    assert sim.region("oops") is None


# -- the RFC wildcard (the RFC patch's e820__region(); the RFC patch's memmap_named()) -----------------------------------------------------


def test_rfc_places_at_the_top_of_the_last_ram_slot() -> None:
    # Search from slot nr_entries (7, never written: zero) down; slot 6 is the high RAM:
    # ALIGN_DOWN(6 GiB - 12 MiB, 4096) = 0x17f400000.
    sim = run("memmap=12M*4096:oops ramoops.mem_name=oops", RFC)
    assert printed(sim) == [
        L0,
        L1,
        L2,
        L3,
        L4,
        L5,
        "[mem 0x0000000100000000-0x000000017f3fffff] usable",
        "[mem 0x000000017f400000-0x000000017fffffff] reserved",
    ]
    (region,) = sim.regions
    assert (region.status, region.start, region.slot, region.stale) == (
        PLACED,
        0x17F400000,
        6,
        False,
    )
    assert sim.region("oops") == region


@pytest.mark.parametrize("piece", ["12M*0:oops", "12M*:oops"])
def test_rfc_align_zero_places_at_physical_zero(piece: str) -> None:
    # ALIGN_DOWN(x, 0) == 0 for every slot; only an entry starting at 0 passes start >= addr.
    sim = run(f"memmap={piece}", RFC)
    (region,) = sim.regions
    assert (region.status, region.start, region.slot, region.align) == (PLACED, 0, 0, 0)
    assert printed(sim) == [
        "[mem 0x0000000000000000-0x0000000000bfffff] reserved",
        "[mem 0x0000000000c00000-0x000000007ffdffff] usable",
        L4,
        L5,
        L6,
    ]


def test_rfc_non_power_of_two_align_clears_arbitrary_bits() -> None:
    # 6 GiB - 20 KiB = 0x17fffb000; & ~(0x3000 - 1) also clears bit 13 -> 0x17fff9000, which is
    # not a multiple of 0x3000.
    sim = run("memmap=20K*0x3000:odd", RFC)
    (region,) = sim.regions
    assert region.start == 0x17FFF9000 and region.start % 0x3000 != 0
    assert printed(sim)[-3:] == [
        "[mem 0x0000000100000000-0x000000017fff8fff] usable",
        "[mem 0x000000017fff9000-0x000000017fffdfff] reserved",
        "[mem 0x000000017fffe000-0x000000017fffffff] usable",
    ]


def test_rfc_reads_the_stale_slot_left_by_exactmap() -> None:
    # exactmap sets nr_entries = 0; three user entries overwrite slots 0-2; the search starts at
    # slot 3, which still holds the firmware's [1 MiB, 0x7ffe0000) RAM: the region lands there,
    # outside every RAM range of the user's map.
    sim = run("memmap=exactmap,640K@0,256M@1M,1G@4G,12M*4096:oops", RFC)
    (region,) = sim.regions
    assert (region.status, region.start, region.slot, region.stale) == (PLACED, 0x7F3E0000, 3, True)
    assert printed(sim) == [
        "[mem 0x0000000000000000-0x000000000009ffff] usable",
        "[mem 0x0000000000100000-0x00000000100fffff] usable",
        "[mem 0x000000007f3e0000-0x000000007ffdffff] reserved",
        "[mem 0x0000000100000000-0x000000013fffffff] usable",
    ]


def test_rfc_second_wildcard_overlaps_the_first() -> None:
    # The reservation is only appended; the RAM slot it came from is unchanged, so the next
    # search returns the top of the same slot.
    sim = run("memmap=12M*4096:a,4M*4096:b", RFC)
    a, b = sim.regions
    assert (a.status, a.start) == (PLACED, 0x17F400000)
    assert (b.status, b.start) == (PLACED, 0x17FC00000)
    assert a.start is not None and b.start is not None and a.end is not None
    assert a.start <= b.start < a.end


def test_rfc_duplicate_name_first_match_wins() -> None:
    sim = run("memmap=12M*4096:oops memmap=4M*4096:oops", RFC)
    first, second = sim.regions
    assert (first.status, second.status) == (PLACED, SHADOWED)
    assert second.start == 0x17FC00000  # still reserved
    found = sim.region("oops")
    assert found is not None and found.size == 12 * M


def test_rfc_zero_size_entries_are_skipped_by_the_lookup() -> None:
    # memmap_named() skips entries with size 0, so a later one of the same name is found.
    sim = run("memmap=0*4096:z,1M*4096:z", RFC)
    found = sim.region("z")
    assert found is not None and found.size == M
    assert [r.status for r in sim.regions] == [PLACED, PLACED]


def test_rfc_ninth_name_is_reserved_but_unnamed() -> None:
    cmdline = " ".join(f"memmap=1M*4096:r{i}" for i in range(9))
    sim = run(cmdline, RFC)
    assert [r.status for r in sim.regions] == [PLACED] * 8 + [UNNAMED]
    ninth = sim.regions[8]
    assert ninth.start == 0x17FF00000  # reserved all the same
    assert sim.region("r8") is None
    assert printed(sim)[-1] == "[mem 0x000000017ff00000-0x000000017fffffff] reserved"


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("0123456789abcde", PLACED),  # 15 bytes
        ("0123456789abcdef", UNNAMED),  # 16 bytes: strlen(name) >= E820_MAP_NAME_SIZE
        ("\u00e9" * 8, UNNAMED),  # 16 bytes in UTF-8
        ("", UNNAMED),  # empty
    ],
)
def test_rfc_name_limits(name: str, status: str) -> None:
    sim = run(f"memmap=12M*4096:{name}", RFC)
    (region,) = sim.regions
    assert region.status == status
    assert region.start == 0x17F400000  # reserved either way
    assert printed(sim)[-1] == "[mem 0x000000017f400000-0x000000017fffffff] reserved"


def test_rfc_unnamed_regions_do_not_use_up_name_slots() -> None:
    # e820_add_mmap returns -EINVAL for a bad name before looking at the count.
    cmdline = "memmap=1M*4096:" + ",1M*4096:".join(
        ["0123456789abcdef"] + [f"n{i}" for i in range(8)]
    )
    sim = run(cmdline, RFC)
    assert [r.status for r in sim.regions] == [UNNAMED] + [PLACED] * 8


def test_rfc_missing_colon_reserves_nothing() -> None:
    sim = run("memmap=12M*4096oops", RFC)
    (region,) = sim.regions
    assert (region.status, region.start) == (INVALID, None)
    assert printed(sim) == BASE and sim.userdef


def test_rfc_earlier_user_ram_wraps_the_search() -> None:
    # memmap=1M@1M appends [1M, 2M) RAM at slot 7, searched first: 2 MiB - 12 MiB wraps, the
    # search stops there, (s64) < 0 -> -EINVAL, although the high RAM could hold it.
    sim = run("memmap=1M@1M memmap=12M*4096:oops", RFC)
    (region,) = sim.regions
    assert (region.status, region.start) == (NO_FIT, None)
    assert printed(sim) == BASE


def test_rfc_wrapped_search_with_bit_63_clear_panics() -> None:
    # 12E: 6 GiB - 12E wraps to 0x4000000180000000 (bit 63 clear): accepted as an address, the
    # appended entry passes 2**64 and e820__finish_early_params() panics.
    sim = run("memmap=12E*4096:x", RFC)
    assert sim.panic == PANIC_INVALID_MAP and sim.table == ()


def test_rfc_no_room_at_all() -> None:
    sim = run("memmap=3G*4096:big", RFC)
    (region,) = sim.regions
    # The first RAM slot tried (6) ends at 6 GiB: 6G - 3G >= 4G? no; slot 3 wraps -> -EINVAL.
    assert (region.status, region.start) == (NO_FIT, None)
    assert printed(sim) == BASE


def test_rfc_search_past_the_array_is_unknown() -> None:
    # When nr_entries == E820_MAX_ENTRIES the first slot read is outside the array.
    t = Table.from_entries(FIRMWARE, max_entries=len(FIRMWARE))
    found = rfc.region(t, 12 * M, 4096)
    assert found.unknown and (found.start, found.slot, found.stale) == (0x17F400000, 6, False)
    found = rfc.region(Table.from_entries(FIRMWARE), 12 * M, 4096)
    assert not found.unknown


def test_rfc_has_no_reserve_mem() -> None:
    sim = run("reserve_mem=12M:4096:oops", RFC)
    (region,) = sim.regions
    assert region.status == UNSUPPORTED and region.kind == "reserve_mem"


# -- mainline reserve_mem= (mm/memblock.c reserve_mem(); mm/memblock.c memblock_phys_alloc_range()) ------------------------------------------------


def test_reserve_mem_fits_with_an_approximate_address() -> None:
    sim = run("reserve_mem=12M:4096:oops", MAINLINE)
    (region,) = sim.regions
    assert region.status == PLACED and region.approximate
    assert region.start is not None and region.start % 4096 == 0
    # Top-down: inside the highest RAM range; the e820 map itself does not change.
    assert region.start >= 0x100000000 and region.start + 12 * M <= 0x180000000
    assert printed(sim) == BASE and not sim.userdef
    assert sim.region("oops") == region


def test_reserve_mem_does_not_fit() -> None:
    sim = run("reserve_mem=3G:4096:big", MAINLINE)
    (region,) = sim.regions
    assert (region.status, region.start) == (NO_FIT, None)
    assert sim.largest_free is not None and sim.largest_free[1] < 3 * G


def test_reserve_mem_sees_the_table_after_mem() -> None:
    # reserve_mem runs in parse_args("Booting kernel"), after setup_arch() applied mem=.
    assert run("reserve_mem=1G:4096:x", MAINLINE).regions[0].status == PLACED
    assert run("mem=1G reserve_mem=1G:4096:x", MAINLINE).regions[0].status == NO_FIT


def test_reserve_mem_ninth_is_invalid_whatever_it_says() -> None:
    # The count check is first: `if (reserved_mem_count >= RESERVE_MEM_MAX_ENTRIES) return -EBUSY`.
    cmdline = " ".join(f"reserve_mem=1M:4096:r{i}" for i in range(8)) + " reserve_mem=junk"
    sim = run(cmdline, MAINLINE)
    assert [r.status for r in sim.regions] == [PLACED] * 8 + [INVALID]
    assert "8" in sim.regions[8].note


def test_reserve_mem_failures_do_not_count() -> None:
    cmdline = "reserve_mem=3G:4096:big reserve_mem=0:1:z " + " ".join(
        f"reserve_mem=1M:4096:r{i}" for i in range(8)
    )
    sim = run(cmdline, MAINLINE)
    assert [r.status for r in sim.regions] == [NO_FIT, INVALID] + [PLACED] * 8


def test_reserve_mem_duplicate_name_is_invalid() -> None:
    sim = run("reserve_mem=2M:4096:a reserve_mem=1M:4096:a", MAINLINE)
    first, second = sim.regions
    assert (first.status, second.status) == (PLACED, INVALID)
    assert second.start is None
    found = sim.region("a")
    assert found is not None and found.size == 2 * M


def test_reserve_mem_name_of_a_failed_allocation_is_free_again() -> None:
    # reserve_mem_find_by_name only knows regions that were added.
    sim = run("reserve_mem=3G:4096:a reserve_mem=1M:4096:a", MAINLINE)
    assert [r.status for r in sim.regions] == [NO_FIT, PLACED]


@pytest.mark.parametrize("align", ["0", "1", "32", ""])
def test_reserve_mem_align_below_64_becomes_64(align: str) -> None:
    sim = run(f"reserve_mem=1M:{align}:x", MAINLINE)
    (region,) = sim.regions
    assert (region.status, region.align) == (PLACED, 64)
    assert region.start is not None and region.start % 64 == 0


def test_reserve_mem_dash_spelling_and_quotes() -> None:
    # __setup matching is parameqn() with dash2underscore; next_arg strips the value's quotes.
    sim = run('reserve-mem=1M:4096:a "reserve_mem=1M:4096:b c"', MAINLINE)
    assert [(r.name, r.status) for r in sim.regions] == [("a", PLACED), ("b c", PLACED)]


@pytest.mark.parametrize("release", ["6.1.0-28-amd64", "6.10.14"])
def test_reserve_mem_before_6_11_is_unsupported(release: str) -> None:
    sim = simulate(FIRMWARE, "reserve_mem=12M:4096:oops", kernel_for(release, dialect=MAINLINE))
    (region,) = sim.regions
    assert (region.status, region.start) == (UNSUPPORTED, None)
    assert run("reserve_mem=12M:4096:oops", STOCK).regions[0].status == UNSUPPORTED


def test_bare_reserve_mem_is_not_a_reserve_mem_parameter() -> None:
    # init/main.c obsolete_checksetup(): parameqn(line, "reserve_mem=", 12) compares the '=' too,
    # so a bare `reserve_mem` never reaches reserve_mem(); it is passed to init.
    sim = run("reserve_mem", MAINLINE)
    assert sim.regions == ()


# -- dialect choice (kernel/release.py) ----------------------------------------------


@pytest.mark.parametrize(
    ("release", "features", "dialect", "expected"),
    [
        ("6.1.0-28-amd64", (), None, STOCK),
        ("6.10.14", (), None, STOCK),
        ("6.11.0-rc1", (), None, MAINLINE),
        ("6.11", (), None, MAINLINE),
        ("6.12.117-1~deb12u1", (), None, MAINLINE),
        ("v7.0", (), None, MAINLINE),
        (None, (), None, STOCK),
        ("garbage", (), None, STOCK),
        ("6.8.0-41-rfc", ("memmap-wildcard",), None, RFC),
        ("6.12.1", ("memmap-wildcard",), None, RFC),  # the feature wins over the release
        ("6.12.1", ("memmap-wildcard",), STOCK, STOCK),  # an explicit dialect wins
        ("6.1.0", (), MAINLINE, MAINLINE),
        ("6.1.0", ("other",), None, STOCK),
    ],
)
def test_kernel_for(
    release: str | None, features: tuple[str, ...], dialect: str | None, expected: str
) -> None:
    assert kernel_for(release, features, dialect).dialect == expected


def test_bad_dialect_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown dialect 'bogus'"):
        kernel_for("6.12", dialect="bogus")
    with pytest.raises(ValueError):
        simulate(FIRMWARE, "quiet", "bogus")


def test_kernel_capabilities() -> None:
    assert parse_release("6.1.0-28-amd64") == (6, 1, 0)
    assert parse_release("v6.12") == (6, 12, 0)
    assert parse_release("") is None
    assert kernel_for("6.12.1").has_reserve_mem
    assert not kernel_for("6.10.99").has_reserve_mem
    assert kernel_for(dialect=MAINLINE).has_reserve_mem
    assert not kernel_for(dialect=RFC).has_reserve_mem
    assert kernel_for(dialect=RFC).has_mem_name
    assert not kernel_for("6.1.0").has_mem_name


def test_early_boot_step_only_where_reserve_mem_runs() -> None:
    """simulate listed what memblock gave out 'before reserve_mem=' on kernels without it."""
    steps = {}
    for release in ("6.1.0-28-amd64", "6.12.9-amd64"):
        result = simulate(FIRMWARE, "reserve_mem=12M:4096:oops", kernel_for(release))
        steps[release] = [e for e in result.events if e.action == "early-boot"]
    assert not steps["6.1.0-28-amd64"] and len(steps["6.12.9-amd64"]) == 1
