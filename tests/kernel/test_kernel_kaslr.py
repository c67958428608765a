"""kernel/kaslr.py: the boot decompressor's memmap= scan and the EFI stub's KASLR switch."""

from __future__ import annotations

from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.kaslr import decompressor_nokaslr, efi_stub_override, scan
from memmap_lint.kernel.release import kernel_for

K61 = kernel_for("6.1.0-28-amd64")
K612 = kernel_for("6.12.0-1-amd64")
M, G = 1 << 20, 1 << 30


def test_scan_keeps_four_ranges_then_gives_up_inside_a_value() -> None:
    found = scan(parse("memmap=1M$4G,1M$5G,1M$6G,1M$7G,64M$8G"), K612)
    assert [a.start for a in found.avoided] == [4 * G, 5 * G, 6 * G, 7 * G]
    assert found.too_large is not None and found.too_large.text == "64M$8G"
    assert found.skipped == []


def test_scan_skips_later_parameters_silently() -> None:
    found = scan(parse("memmap=1M$4G,1M$5G memmap=1M$6G,1M$7G memmap=64M$8G"), K612)
    assert found.too_large is None
    assert [(s.start, s.size) for s in found.skipped] == [(8 * G, 64 * M)]


def test_scan_reads_limits_and_ignores_at() -> None:
    found = scan(parse("memmap=2G memmap=1M@1G mem=3G"), K612)
    assert (found.avoided, found.mem_limit) == ([], 2 * G)


def test_efi_fake_mem_counts_until_it_was_dropped() -> None:
    # "x86/efi: Drop support for fake EFI memory maps" removed efi_fake_mem= from the
    # decompressor and from the EFI stub's parse_options() list together.
    line = parse("efi_fake_mem=1M@4G:0x40000 quiet")
    assert efi_stub_override(line, K61) == "efi_fake_mem="
    assert efi_stub_override(line, K612) is None
    assert [a.start for a in scan(line, K61).avoided] == [4 * G]
    assert scan(line, K612).avoided == []


def test_efi_stub_takes_the_first_occurrence_at_a_word_start() -> None:
    # strstr() finds "mem=" inside "reserve_mem=" first: no space before it, so no match.
    assert efi_stub_override(parse("reserve_mem=1M:4K:a mem=4G"), K612) is None
    assert efi_stub_override(parse("quiet memmap=1M$2G"), K612) == "memmap="
    assert efi_stub_override(parse("hugepages=4"), K612) == "hugepages="


def test_decompressor_reads_nokaslr_past_the_double_dash() -> None:
    assert decompressor_nokaslr(parse("quiet -- nokaslr"))
    assert not decompressor_nokaslr(parse("quiet nokaslr=0x"))
