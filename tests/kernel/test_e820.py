"""The e820 table and its primitives (linter/e820.py), operation for operation.

Expectations come from arch/x86/kernel/e820.c (K6.1 = K6.12; read in torvalds/linux):
``__e820__range_add``, ``__e820__range_update``, ``e820__range_remove`` (arch/x86/kernel/e820.c __e820__range_update()) and
``e820__update_table`` (arch/x86/kernel/e820.c e820__update_table(), the sanitize), ``e820_print_type``/``e820__print_table``
(arch/x86/kernel/e820.c e820_print_type()). Addresses in the expectations are worked out by hand from that code.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from memmap_lint.kernel.e820 import (
    ACPI,
    DEFAULT_MAX_ENTRIES,
    NVS,
    PMEM,
    PRAM,
    RAM,
    RESERVED,
    RESERVED_KERN,
    SOFT_RESERVED,
    U64,
    UNUSABLE,
    Entry,
    Table,
    is_usable,
    parse_type_name,
    sanitized,
    type_name,
)


def table(*entries: tuple[int, int, int], max_entries: int = DEFAULT_MAX_ENTRIES) -> Table:
    return Table.from_entries([Entry(*e) for e in entries], max_entries)


def live(t: Table) -> list[tuple[int, int, int]]:
    return [(e.start, e.size, e.type) for e in t.entries()]


# -- types and printing (arch/x86/kernel/e820.c e820_print_type()) --------------------------------------------------------


@pytest.mark.parametrize(
    ("etype", "name"),
    [
        (RAM, "usable"),
        (RESERVED, "reserved"),
        (ACPI, "ACPI data"),
        (NVS, "ACPI NVS"),
        (UNUSABLE, "unusable"),
        (PMEM, "persistent (type 7)"),
        (PRAM, "persistent (type 12)"),
        (RESERVED_KERN, "usable"),
        (SOFT_RESERVED, "soft reserved"),
        (6, "type 6"),
        (13, "type 13"),
        (0, "type 0"),
    ],
)
def test_type_names(etype: int, name: str) -> None:
    assert type_name(etype) == name


def test_type_values() -> None:
    # arch/x86/include/asm/e820/types.h
    assert (RAM, RESERVED, ACPI, NVS, UNUSABLE, PMEM, PRAM) == (1, 2, 3, 4, 5, 7, 12)
    assert (RESERVED_KERN, SOFT_RESERVED) == (128, 0xEFFFFFFF)
    # E820_MAX_ENTRIES = 128 + 3 * MAX_NUMNODES with Debian's NODES_SHIFT=10 (arch/x86/include/asm/e820/types.h E820_MAX_ENTRIES).
    assert DEFAULT_MAX_ENTRIES == 3200


def test_parse_type_name_reads_both_label_sets() -> None:
    assert parse_type_name("usable") == RAM
    assert parse_type_name("System RAM") == RAM  # the newer labels (arch/x86/kernel/e820.c e820_print_type())
    assert parse_type_name("device reserved") == RESERVED
    assert parse_type_name("persistent (type 12)") == PRAM
    assert parse_type_name("  ACPI   NVS ") == NVS
    assert parse_type_name("type 13") == 13
    assert parse_type_name("soft reserved") == SOFT_RESERVED
    assert parse_type_name("bogus") is None
    assert parse_type_name("type x") is None


def test_describe_is_the_kernels_print_format() -> None:
    # e820__print_table: " [mem %#018Lx-%#018Lx] " + type; example from arch/x86/kernel/e820.c e820_print_type().
    e = Entry(0x100000, 0x7FFDC000 - 0x100000, RAM)
    assert e.describe() == "[mem 0x0000000000100000-0x000000007ffdbfff] usable"
    assert e.last == 0x7FFDBFFF and e.end == 0x7FFDC000
    assert Entry(0, 0x1000, SOFT_RESERVED).describe() == (
        "[mem 0x0000000000000000-0x0000000000000fff] soft reserved"
    )


def test_is_usable() -> None:
    assert is_usable(RAM) and is_usable(RESERVED_KERN)
    assert not any(is_usable(t) for t in (RESERVED, ACPI, NVS, PRAM, SOFT_RESERVED, 0))


def test_slots_past_the_end() -> None:
    t = table((0, 0x1000, RAM), max_entries=4)
    assert t.slot(0) == Entry(0, 0x1000, RAM)
    assert t.slot(1) == Entry(0, 0, 0)  # never written: zero (static __initdata)
    assert t.slot(3) == Entry(0, 0, 0)
    assert t.slot(4) is None  # past the array
    assert t.slot(-1) is None


# -- __e820__range_add (arch/x86/kernel/e820.c __e820__range_update()) ---------------------------------------------------------


def test_range_add_appends_without_sorting_or_merging() -> None:
    t = table((0x100000, 0x100000, RAM))
    assert t.range_add(0x1000, 0x1000, RAM)
    assert t.range_add(0x1000, 0x1000, RAM)  # duplicates are fine
    assert live(t) == [(0x100000, 0x100000, RAM), (0x1000, 0x1000, RAM), (0x1000, 0x1000, RAM)]


def test_range_add_on_a_full_table_logs_and_drops() -> None:
    # pr_err("too many entries; ignoring [mem %#010llx-%#010llx]\n", start, start + size - 1)
    t = table((0, 0x1000, RAM), (0x2000, 0x1000, RAM), max_entries=2)
    assert not t.range_add(0x10000, 0x1000, RESERVED)
    assert t.nr_entries == 2
    assert live(t) == [(0, 0x1000, RAM), (0x2000, 0x1000, RAM)]
    assert t.log[-1] == "too many entries; ignoring [mem 0x00010000-0x00010fff]"


def test_range_add_stores_u64_and_u32() -> None:
    t = table()
    t.range_add(-1, 1 << 64, (1 << 32) + 2)
    assert t.slot(0) == Entry(U64, 0, 2)


# -- __e820__range_update (arch/x86/kernel/e820.c __e820__range_update()) ------------------------------------------------------


def test_update_entry_fully_inside_is_retyped_in_place() -> None:
    t = table((0x1000, 0x2000, RAM), (0x8000, 0x1000, ACPI))
    assert t.range_update(0, 0x10000, RAM, RESERVED) == 0x2000
    assert live(t) == [(0x1000, 0x2000, RESERVED), (0x8000, 0x1000, ACPI)]
    assert t.log == ["e820: update [mem 0x00000000-0x0000ffff] usable ==> reserved"]


def test_update_range_strictly_inside_splits_in_three() -> None:
    # Append [start,end) as new and [end, entry_end) as old, shrink the original to the head.
    t = table((0, 0x10000, RAM))
    assert t.range_update(0x4000, 0x2000, RAM, RESERVED) == 0x2000
    assert live(t) == [(0, 0x4000, RAM), (0x4000, 0x2000, RESERVED), (0x6000, 0xA000, RAM)]


def test_update_partial_overlap_at_the_head() -> None:
    t = table((0x4000, 0x4000, RAM))
    assert t.range_update(0x2000, 0x4000, RAM, RESERVED) == 0x2000
    # The overlap is appended; the original keeps its tail.
    assert live(t) == [(0x6000, 0x2000, RAM), (0x4000, 0x2000, RESERVED)]


def test_update_partial_overlap_at_the_tail() -> None:
    t = table((0x4000, 0x4000, RAM))
    assert t.range_update(0x6000, 0x4000, RAM, RESERVED) == 0x2000
    assert live(t) == [(0x4000, 0x2000, RAM), (0x6000, 0x2000, RESERVED)]


def test_update_only_touches_the_old_type() -> None:
    t = table((0, 0x4000, ACPI), (0x4000, 0x4000, RAM), (0x8000, 0x4000, RESERVED))
    assert t.range_update(0, 0x10000, RESERVED, RAM) == 0x4000
    assert live(t) == [(0, 0x4000, ACPI), (0x4000, 0x4000, RAM), (0x8000, 0x4000, RAM)]


def test_update_visits_the_entries_it_appends() -> None:
    # The loop re-reads nr_entries, so the pieces appended by one entry's split are visited too;
    # they never overlap the range again, so nothing changes twice. Two identical entries both
    # split, in slot order.
    t = table((0, 0x10000, RAM), (0, 0x10000, RAM))
    assert t.range_update(0x4000, 0x1000, RAM, ACPI) == 0x2000
    assert live(t) == [
        (0, 0x4000, RAM),
        (0, 0x4000, RAM),
        (0x4000, 0x1000, ACPI),
        (0x5000, 0xB000, RAM),
        (0x4000, 0x1000, ACPI),
        (0x5000, 0xB000, RAM),
    ]


def test_update_on_a_full_table_loses_the_split_pieces() -> None:
    # __e820__range_update ignores __e820__range_add's failure but still shrinks the original.
    t = table((0, 0x10000, RAM), (0x20000, 0x1000, RESERVED), max_entries=2)
    assert t.range_update(0x4000, 0x1000, RAM, ACPI) == 0x1000
    assert live(t) == [(0, 0x4000, RAM), (0x20000, 0x1000, RESERVED)]
    assert t.log[1:] == [
        "too many entries; ignoring [mem 0x00004000-0x00004fff]",
        "too many entries; ignoring [mem 0x00005000-0x0000ffff]",
    ]


def test_update_clamps_the_size_to_the_top_of_the_address_space() -> None:
    # if (size > (ULLONG_MAX - start)) size = ULLONG_MAX - start;  the printed end is end - 1.
    t = table((0xFFFFFFFFFFFFE000, 0x1000, RAM), (0, 0x1000, RAM))
    assert t.range_update(0xFFFFFFFFFFFFE000, 0x10000, RAM, RESERVED) == 0x1000
    assert t.log == ["e820: update [mem 0xffffffffffffe000-0xfffffffffffffffe] usable ==> reserved"]
    assert live(t)[0] == (0xFFFFFFFFFFFFE000, 0x1000, RESERVED)


# -- e820__range_remove (arch/x86/kernel/e820.c __e820__range_update()) --------------------------------------------------------


def test_remove_zeroes_covered_entries_in_place() -> None:
    t = table((0, 0x1000, RAM), (0x1000, 0x1000, RESERVED), (0x2000, 0x1000, RAM))
    assert t.range_remove(0x1000, 0x2000, RAM, True) == 0x1000
    # Slot 2 is zeroed but still inside nr_entries until the next sanitize.
    assert t.nr_entries == 3
    assert live(t) == [(0, 0x1000, RAM), (0x1000, 0x1000, RESERVED), (0, 0, 0)]
    assert t.log == ["e820: remove [mem 0x00001000-0x00002fff] usable"]
    assert t.sanitize()
    assert live(t) == [(0, 0x1000, RAM), (0x1000, 0x1000, RESERVED)]


def test_remove_split_appends_the_tail() -> None:
    t = table((0, 0x10000, RAM), (0x20000, 0x1000, RESERVED))
    assert t.range_remove(0x4000, 0x2000, RAM, True) == 0x2000
    assert live(t) == [(0, 0x4000, RAM), (0x20000, 0x1000, RESERVED), (0x6000, 0xA000, RAM)]


def test_remove_partial_overlaps_are_trimmed() -> None:
    t = table((0x4000, 0x4000, RAM), (0xC000, 0x4000, RAM))
    assert t.range_remove(0x6000, 0x8000, RAM, True) == 0x4000
    assert live(t) == [(0x4000, 0x2000, RAM), (0xE000, 0x2000, RAM)]


def test_remove_with_and_without_type_check() -> None:
    entries = ((0, 0x1000, RAM), (0x1000, 0x1000, RESERVED), (0x2000, 0x1000, ACPI))
    t = table(*entries)
    assert t.range_remove(0, 0x3000, RESERVED, True) == 0x1000
    assert live(t) == [(0, 0x1000, RAM), (0, 0, 0), (0x2000, 0x1000, ACPI)]
    t = table(*entries)
    assert t.range_remove(0, 0x3000, 0, False) == 0x3000
    assert live(t) == [(0, 0, 0)] * 3
    # Without the type check the message has no type name.
    assert t.log == ["e820: remove [mem 0x00000000-0x00002fff]"]


def test_remove_to_the_top_of_memory() -> None:
    # What memmap=nn / mem=nn do: e820__range_remove(nn, ULLONG_MAX - nn, E820_TYPE_RAM, 1).
    t = table((0, 0x9FC00, RAM), (0x100000, 0x7FF00000, RAM), (0x100000000, 0x80000000, RAM))
    removed = t.range_remove(1 << 30, U64 - (1 << 30), RAM, True)
    assert removed == (0x80000000 - (1 << 30)) + 0x80000000
    assert live(t) == [(0, 0x9FC00, RAM), (0x100000, (1 << 30) - 0x100000, RAM), (0, 0, 0)]
    assert t.log == ["e820: remove [mem 0x40000000-0xfffffffffffffffe] usable"]


# -- e820__update_table (arch/x86/kernel/e820.c e820__update_table()) --------------------------------------------------------


def test_sanitize_larger_type_wins_whatever_the_order() -> None:
    for entries in (
        ((0, 0x10000, RAM), (0x4000, 0x2000, RESERVED)),
        ((0x4000, 0x2000, RESERVED), (0, 0x10000, RAM)),
    ):
        t = table(*entries)
        assert t.sanitize()
        assert live(t) == [(0, 0x4000, RAM), (0x4000, 0x2000, RESERVED), (0x6000, 0xA000, RAM)]


def test_sanitize_type_order_is_numeric() -> None:
    # RAM 1 < reserved 2 < ACPI 3 < NVS 4 < unusable 5 < PMEM 7 < PRAM 12 < RESERVED_KERN 128
    # < SOFT_RESERVED 0xefffffff.
    order = [RAM, RESERVED, ACPI, NVS, UNUSABLE, PMEM, PRAM, RESERVED_KERN, SOFT_RESERVED]
    for low, high in pairwise(order):
        t = table((0, 0x3000, low), (0x1000, 0x1000, high))
        assert t.sanitize()
        assert live(t) == [(0, 0x1000, low), (0x1000, 0x1000, high), (0x2000, 0x1000, low)]


def test_sanitize_merges_adjacent_and_overlapping_same_types() -> None:
    # Start points sort before end points at the same address, so touching entries merge.
    t = table((0x2000, 0x1000, RAM), (0, 0x1000, RAM), (0x1000, 0x1000, RAM), (0x800, 0x1000, RAM))
    assert t.sanitize()
    assert live(t) == [(0, 0x3000, RAM)]


def test_sanitize_keeps_a_gap() -> None:
    t = table((0, 0x1000, RAM), (0x2000, 0x1000, RAM))
    assert t.sanitize()
    assert live(t) == [(0, 0x1000, RAM), (0x2000, 0x1000, RAM)]


@pytest.mark.parametrize("etype", [PRAM, SOFT_RESERVED])
def test_sanitize_never_merges_pram_and_soft_reserved(etype: int) -> None:
    t = table((0, 0x1000, etype), (0x1000, 0x1000, etype))
    assert t.sanitize()
    assert live(t) == [(0, 0x1000, etype), (0x1000, 0x1000, etype)]
    # e820_nomerge() is tested at every change point: a lower-typed entry inside splits it.
    t = table((0, 0x4000, etype), (0x1000, 0x1000, RAM))
    assert t.sanitize()
    assert live(t) == [(0, 0x1000, etype), (0x1000, 0x1000, etype), (0x2000, 0x2000, etype)]
    # Fully overlapping duplicates do not split it (their points share the same addresses).
    t = table((0, 0x4000, etype), (0, 0x4000, etype))
    assert t.sanitize()
    assert live(t) == [(0, 0x4000, etype)]


def test_sanitize_drops_zero_sizes() -> None:
    t = table((0, 0, RAM), (0x1000, 0x1000, RAM), (0, 0, 0), (0x5000, 0, RESERVED))
    assert t.sanitize()
    assert live(t) == [(0x1000, 0x1000, RAM)]
    # Only zero sizes: an empty table, and still a success (0).
    t = table((0, 0, RAM), (0, 0, RAM))
    assert t.sanitize()
    assert t.nr_entries == 0


@pytest.mark.parametrize("count", [0, 1])
def test_sanitize_refuses_fewer_than_two_entries(count: int) -> None:
    # if (table->nr_entries < 2) return -1;  the table is left as it is, even unsorted junk.
    t = table(*[(0x1000, 0, 5)][:count])
    t.slots.append([7, 7, 7])
    before = [list(s) for s in t.slots]
    assert not t.sanitize()
    assert t.slots == before and t.nr_entries == count


@pytest.mark.parametrize(
    "bad",
    [
        (0xFFFFFFFFFFFFF000, 0x2000, RESERVED),  # wraps past 2**64
        (0xFFFFFFFFFFFFF000, 0x1000, RESERVED),  # ends exactly at 2**64: addr + size == 0 < addr
        (1, U64, RAM),
    ],
)
def test_sanitize_refuses_a_wrapping_entry(bad: tuple[int, int, int]) -> None:
    t = table((0, 0x1000, RAM), bad, (0x2000, 0x1000, RAM))
    before = [list(s) for s in t.slots]
    assert not t.sanitize()
    assert t.slots == before and t.nr_entries == 3


def test_sanitize_accepts_the_last_byte_below_2_64() -> None:
    t = table((0, 0x1000, RAM), (0xFFFFFFFFFFFFF000, 0xFFF, RESERVED))
    assert t.sanitize()
    assert live(t) == [(0, 0x1000, RAM), (0xFFFFFFFFFFFFF000, 0xFFF, RESERVED)]


def test_sanitize_leaves_slots_past_the_new_count_alone() -> None:
    # Only slots [0, new_nr) are written; [new_nr, old_nr) keep their pre-sanitize contents and
    # never-written slots stay zero (arch/x86/kernel/e820.c e820__update_table(), the RFC reads them: 7.2).
    t = table((0x3000, 0x1000, RAM), (0, 0x1000, RAM), (0x1000, 0x1000, RAM), (0x2000, 0x1000, RAM))
    assert t.sanitize()
    assert t.nr_entries == 1
    assert live(t) == [(0, 0x4000, RAM)]
    assert t.slot(1) == Entry(0, 0x1000, RAM)
    assert t.slot(2) == Entry(0x1000, 0x1000, RAM)
    assert t.slot(3) == Entry(0x2000, 0x1000, RAM)
    assert t.slot(4) == Entry(0, 0, 0)


def test_sanitize_truncates_silently_at_max_entries() -> None:
    # `if (++new_nr_entries >= max_nr_entries) break;`: three slots, five output ranges.
    t = table(
        (0, 0x10000, RAM), (0x2000, 0x1000, RESERVED), (0x6000, 0x1000, RESERVED), max_entries=3
    )
    assert t.sanitize()
    assert live(t) == [(0, 0x2000, RAM), (0x2000, 0x1000, RESERVED), (0x3000, 0x3000, RAM)]
    assert t.log == []


def test_sanitized_function_on_plain_triples() -> None:
    assert sanitized([(0, 0x2000, RAM), (0x1000, 0x2000, NVS)]) == [
        (0, 0x1000, RAM),
        (0x1000, 0x2000, NVS),
    ]
    assert sanitized([]) == []
