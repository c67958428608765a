"""e820 capture parsing on real captures.

Where expectations come from:
- tests/fixtures/e820/*.txt are real boot-log excerpts (SOURCES.md there); the hand-checked values
  below were read off those files by eye.
- Every ``BIOS-e820:`` table is printed by ``e820__memory_setup()`` after
  ``e820__update_table()`` (arch/x86/kernel/e820.c), so each firmware map is sorted, without
  overlaps and without empty entries; ``e820__print_table`` prints ``[mem %#018Lx-%#018Lx]``
  (inclusive) and old kernels ``%016Lx - %016Lx`` (exclusive), which the round-trip checks use.
- sysfs-memmap-firecracker-24g/, firecracker-24g.{iomem,memmap-grep} and firecracker-24g-dmesg.log
  were read on one real machine during one boot (the kernel exports ``e820_table_firmware``, the
  table it printed as BIOS-e820, to /sys/firmware/memmap), so all of them give the same map.
- qemu-boots/ are real QEMU boots of Debian kernels recorded by the team (kernel-answers).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from memmap_lint.captures.parse import Capture, capture_digest, load_capture, parse_capture
from memmap_lint.errors import LintError
from memmap_lint.kernel.e820 import Entry, type_name

FIXTURES = Path(__file__).parent.parent / "fixtures" / "e820"
LOGS = sorted(FIXTURES.glob("*.txt"))
QEMU_BOOTS = sorted((FIXTURES / "qemu-boots").glob("*.txt"))
FIRECRACKER = FIXTURES / "sysfs-memmap-firecracker-24g"

_FIRMWARE_LINE = re.compile(r"BIOS-e820: (\[mem |[0-9a-fA-F]{16} )")
_USER_LINE = re.compile(r"\buser: (\[mem |[0-9a-fA-F]{16} )")


def _load(name: str) -> Capture:
    return load_capture(FIXTURES / name)


def _error(text: str, source: str = "<inline>") -> LintError:
    with pytest.raises(LintError) as caught:
        parse_capture(text, source)
    assert caught.value.code == "MM602"
    return caught.value


def test_fixture_set_is_large_and_varied() -> None:
    assert len(LOGS) >= 60
    formats = {_load(path.name).format for path in LOGS}
    assert formats == {"dmesg", "dmesg-old", "dmesg-7.0"}


@pytest.mark.parametrize("path", LOGS + QEMU_BOOTS, ids=lambda p: p.name)
def test_every_real_log_parses_exactly(path: Path) -> None:
    capture = load_capture(path)
    text = path.read_text()
    lines = text.split("\n")
    assert capture.source == os.fspath(path)
    # One entry per BIOS-e820 range line ([gap] lines of 7.0 kernels are not entries).
    expected_lines = [i for i, line in enumerate(lines, 1) if _FIRMWARE_LINE.search(line)]
    assert list(capture.lines) == expected_lines
    for entry, lineno in zip(capture.entries, capture.lines, strict=True):
        line = lines[lineno - 1].rstrip()
        if capture.format == "dmesg-old":
            assert f"{entry.start:016x} - {entry.end:016x}" in line.lower()
        else:
            assert f"[mem {entry.start:#018x}-{entry.last:#018x}]" in line.lower()
        if capture.format == "dmesg":
            assert line.endswith("] " + type_name(entry.type))
    # Printed after e820__update_table(): sorted, no overlaps, no empty entries.
    for before, after in zip(capture.entries, capture.entries[1:], strict=False):
        assert before.end <= after.start
    assert all(entry.size for entry in capture.entries)
    # setup_data: one node per distinct consecutive "usable ==> usable" line.
    for start, size in capture.setup_data:
        assert f"[mem {start:#010x}-{start + size - 1:#010x}] usable ==> usable" in text
    has_cmdline = "Command line:" in text or "Kernel command line:" in text
    assert (capture.cmdline is not None) == has_cmdline
    user_lines = [line for line in lines if _USER_LINE.search(line)]
    if user_lines:
        assert capture.user_map is not None
        assert len(capture.user_map) == len(user_lines)
    else:
        assert capture.user_map is None
    assert (capture.panic is not None) == ("Kernel panic - not syncing:" in text)


# name, format, count, first entry, last entry, line of the last entry
HAND_CHECKED = [
    (
        "dell-poweredge-r7425-1020g.txt",
        "dmesg",
        31,
        Entry(0, 0x8F000, 1),
        Entry(0x1007FF80000, 0x80000, 2),
        32,
    ),
    (
        "beelink-ser8-7-0-gap-lines-20g.txt",
        "dmesg-7.0",
        21,
        Entry(0, 0xA0000, 1),
        Entry(0x55F340000, 0x6801FFFFF - 0x55F340000 + 1, 2),
        27,
    ),
    (
        "kdump-7-1-dmesg-t-device-reserved-1g.txt",
        "dmesg-7.0",
        11,
        Entry(0, 0x1000, 2),
        Entry(0x103F0E00B0, 0x107F000000 - 0x103F0E00B0, 1),
        18,
    ),
    (
        "dell-poweredge-r7425-kdump-256m.txt",
        "dmesg",
        5,
        Entry(0x1000, 0x8E000, 1),
        Entry(0x6FDFF000, 0x200000, 3),
        6,
    ),
    (
        "centos5-vmware-1g-2-6-18-238.txt",
        "dmesg-old",
        13,
        Entry(0x10000, 0x8F800, 1),
        Entry(0xFFFE0000, 0x20000, 2),
        13,
    ),
    (
        "dell-poweredge-2850-16g-centos6.txt",
        "dmesg-old",
        16,
        Entry(0, 0xA0000, 1),
        Entry(0x400000000, 0x20000000, 1),
        17,
    ),
    (
        "ec2-t3-large-nitro-mem7g-8g.txt",
        "dmesg",
        9,
        Entry(0x100, 0x9FC00 - 0x100, 1),
        Entry(0x239A00000, 0x6600000, 2),
        10,
    ),
    (
        "qemu-128m-buildroot-6-5-fd00-hole.txt",
        "dmesg",
        7,
        Entry(0, 0x9FC00, 1),
        Entry(0xFD00000000, 0x300000000, 2),
        8,
    ),
    (
        "vmware-1g-log-crit-table.txt",
        "dmesg",
        12,
        Entry(0, 0x9EC00, 1),
        Entry(0xFFFE0000, 0x20000, 2),
        12,
    ),
]


@pytest.mark.parametrize(
    ("name", "fmt", "count", "first", "last", "last_line"),
    HAND_CHECKED,
    ids=[case[0] for case in HAND_CHECKED],
)
def test_hand_checked_maps(
    name: str, fmt: str, count: int, first: Entry, last: Entry, last_line: int
) -> None:
    capture = _load(name)
    assert capture.format == fmt
    assert len(capture.entries) == count
    assert capture.entries[0] == first
    assert capture.entries[-1] == last
    assert capture.lines[-1] == last_line


def test_unknown_type_keeps_its_number() -> None:
    # dell-poweredge-r7425-1020g.txt line 7: "[mem 0x6cbcf000-0x6cdcefff] type 20"
    capture = _load("dell-poweredge-r7425-1020g.txt")
    index = capture.lines.index(7)
    assert capture.entries[index] == Entry(0x6CBCF000, 0x200000, 20)


def test_acpi_nvs_between_padding() -> None:
    # vmware-1g-log-crit-table.txt line 7, padded with trailing blanks
    capture = _load("vmware-1g-log-crit-table.txt")
    assert capture.entries[6] == Entry(0x3FEFF000, 0x1000, 4)


def test_command_lines() -> None:
    assert _load("ami-1-9g-ubuntu-2-6-28-mythtv.txt").cmdline == (
        "root=UUID=aa47eb56-c142-4e7e-aecc-0956cb838a23 ro quiet splash "
    )  # the kernel's own trailing blank is kept
    assert _load("asus-zenbook-ux391fa-16g.txt").cmdline == ""  # "Command line: " and nothing
    # Only the later "Kernel command line:" in these logs:
    assert _load("athlon-512m-mem512m-2-5-25.txt").cmdline == (
        "BOOT_IMAGE=unix ro root=301 ether=0,0,0,eth0 ether=0,0,0,eth1 mem=512m devfs=mount "
        "video=aty128fb:mode:1280x1024,font:SUN12x22"
    )
    pro = _load("asus-f2a85-m-pro-3g.txt").cmdline
    assert pro is not None
    assert pro.startswith("BOOT_IMAGE=/boot/vmlinuz-5.12.0+ root=PARTUUID=a8d3fa41-01 rw ")
    kdump = _load("dell-poweredge-r7425-kdump-256m.txt").cmdline
    assert kdump is not None
    assert kdump.endswith("reset_devices CRASH elfcorehdr=900536K")
    assert _load("centos5-vmware-1g-2-6-18-238.txt").cmdline is None
    msi = _load("msi-alpha-15-b5eek-15g.txt").cmdline  # "[    0.000000] [      T0] Command line:"
    assert msi is not None
    assert msi.startswith("BOOT_IMAGE=/boot/vmlinuz-6.17.0-rc5-next-20250912-master")


def test_command_line_wins_over_kernel_command_line() -> None:
    # setup_arch prints boot_command_line ("Command line:", what parse_early_param reads);
    # start_kernel prints saved_command_line later ("Kernel command line:"), which may carry
    # bootconfig or built-in additions.
    text = (
        "[    0.000000] Command line: ro memmap=4K$0x1000\n"
        "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
        "[    0.012000] Kernel command line: ro memmap=4K$0x1000 extra\n"
    )
    assert parse_capture(text).cmdline == "ro memmap=4K$0x1000"


def test_bootdata_command_line() -> None:
    # x86_64 2.6.1x printed the command line as "Bootdata ok (command line is ...)".
    text = (
        "Bootdata ok (command line is ro root=LABEL=/ rhgb quiet)\n"
        " BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)\n"
        " BIOS-e820: 000000000009fc00 - 00000000000a0000 (reserved)\n"
    )
    assert parse_capture(text).cmdline == "ro root=LABEL=/ rhgb quiet"


def test_setup_data_nodes() -> None:
    # K6.1 prints each node twice (e820_table, then e820_table_kexec): 8 lines, 4 nodes.
    assert _load("asus-z170-deluxe-32g.txt").setup_data == (
        (0x83677018, 0x83696A57 - 0x83677018 + 1),
        (0x83665018, 0x83676057 - 0x83665018 + 1),
        (0x83F76018, 0x83F7DE57 - 0x83F76018 + 1),
        (0x83654018, 0x83664C57 - 0x83654018 + 1),
    )
    assert _load("asus-zenbook-ux391fa-16g.txt").setup_data == ((0x971D0, 0x70),)
    assert _load("tuxedo-sirius-16-gen1-pylog-15g.txt").setup_data == (
        (0x7E988018, 0x7E9A3857 - 0x7E988018 + 1),
        (0x8AAD4018, 0x8AAD7057 - 0x8AAD4018 + 1),
    )
    assert len(_load("supermicro-x9dri-ln4-96g.txt").setup_data) == 10
    # "usable ==> reserved" updates happen later in boot: not setup_data, not the map.
    assert _load("dell-poweredge-2850-16g-centos6.txt").setup_data == ()
    assert _load("qemu-q35-8g.txt").setup_data == ()


def test_old_format_setup_data_line() -> None:
    # 2.6.2x kernels: "e820 update range: start - end (usable) ==> (usable)", exclusive end.
    text = (
        "[    0.000000]  BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)\n"
        "[    0.000000]  BIOS-e820: 0000000000100000 - 000000007fff0000 (usable)\n"
        "[    0.000000] e820 update range: 000000007e5f7018 - 000000007e605658 (usable) ==> (usable)\n"
        "[    0.000000] e820 update range: 0000000000000000 - 0000000000001000 (usable) ==> (reserved)\n"
    )
    assert parse_capture(text).setup_data == ((0x7E5F7018, 0x7E605658 - 0x7E5F7018),)


def test_user_maps() -> None:
    athlon = _load("athlon-512m-mem512m-2-5-25.txt").user_map
    assert athlon is not None
    assert athlon[0] == Entry(0, 0x9FC00, 1)
    assert athlon[3] == Entry(0x100000, 0x1FFF0000 - 0x100000, 1)
    assert athlon[-1] == Entry(0xFFFF0000, 0x10000, 2)
    pmem = _load("qemu-16g-memmap12g-at-4g-pmem.txt")
    assert pmem.entries[-1] == Entry(0x100000000, 0x300000000, 1)
    assert pmem.user_map is not None
    assert pmem.user_map[-1] == Entry(0x100000000, 0x300000000, 12)
    ec2 = _load("ec2-t3-large-nitro-mem7g-8g.txt")
    assert ec2.user_map is not None
    assert ec2.user_map[7] == Entry(0x100000000, 0xC0000000, 1)  # mem=7G cut the RAM above
    assert ec2.cmdline is not None
    assert " mem=7G " in ec2.cmdline
    assert _load("dell-xps-13-9300-16g.txt").user_map is None


def test_panic_from_a_real_boot() -> None:
    capture = load_capture(
        FIXTURES / "qemu-boots" / "mainline-6.12--asus-zenbook-ux391fa-16g--overflow.txt"
    )
    assert capture.panic == "Invalid user supplied memory map"
    assert capture.user_map is None
    assert len(capture.entries) == 6


def test_extended_table_replaces_the_first_128() -> None:
    # e820__memory_setup_extended() prints the whole table after a SETUP_E820_EXT node.
    head = "".join(
        f"BIOS-e820: [mem {0x100000 * i:#018x}-{0x100000 * i + 0xFFFFF:#018x}] "
        f"{'usable' if i % 2 else 'reserved'}\n"
        for i in range(2)
    )
    text = (
        head
        + "extended physical RAM map:\n"
        + "extended: [mem 0x0000000000000000-0x00000000000fffff] reserved\n"
        + "extended: [mem 0x0000000000100000-0x00000000001fffff] usable\n"
        + "extended: [mem 0x0000000000200000-0x00000000002fffff] ACPI NVS\n"
    )
    capture = parse_capture(text)
    assert capture.entries[-1] == Entry(0x200000, 0x100000, 4)
    assert capture.lines == (4, 5, 6)


def test_later_tables_are_not_firmware_data() -> None:
    text = (
        "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
        "BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n"
        "extended physical RAM map:\n"
        "reserve setup_data: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
        "modified physical RAM map:\n"
        "modified: [mem 0x0000000000000000-0x0000000000000fff] reserved\n"
    )
    assert len(parse_capture(text).entries) == 2


def test_xen_and_e801_labels_are_firmware_maps() -> None:
    xen = "Xen: [mem 0x0000000000000000-0x000000000009ffff] usable\nXen: [mem 0x0000000000100000-0x000000003fffffff] usable\n"
    assert parse_capture(xen).entries[1] == Entry(0x100000, 0x3FF00000, 1)
    e801 = "BIOS-e801: [mem 0x0000000000000000-0x000000000009efff] usable\n"
    assert parse_capture(e801).entries == (Entry(0, 0x9F000, 1),)


def test_size_column_of_7_0_kernels() -> None:
    text = (
        "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff]  639 KB System RAM\n"
        "BIOS-e820: [gap 0x00000000000a0000-0x00000000000effff]\n"
        "BIOS-e820: [mem 0x0000000000100000-0x000000007ffdbfff]    1.9 GB System RAM\n"
        "BIOS-e820: [mem 0x00000000feffc000-0x00000000feffffff]   16 KB device reserved\n"
    )
    capture = parse_capture(text)
    assert capture.format == "dmesg-7.0"
    assert capture.entries == (
        Entry(0, 0x9FC00, 1),
        Entry(0x100000, 0x7FEDC000, 1),
        Entry(0xFEFFC000, 0x4000, 2),
    )
    assert capture.lines == (1, 3, 4)


def test_printed_wrap_is_inverted_exactly() -> None:
    # e820__print_table prints addr + size - 1 in u64: an entry of size 0 prints start - 1.
    text = "BIOS-e820: [mem 0x0000000000001000-0x0000000000000fff] usable\n"
    assert parse_capture(text).entries == (Entry(0x1000, 0, 1),)


# --- other formats -------------------------------------------------------------------------

FIRECRACKER_MAP = (
    Entry(0, 0x9FC00, 1),
    Entry(0x9FC00, 0x60400, 2),
    Entry(0x100000, 0xBFF00000, 1),
    Entry(0xEEC00000, 0x10000000, 2),
    Entry(0x100000000, 0x540000000, 1),
)


def test_sysfs_directory() -> None:
    capture = load_capture(FIRECRACKER)
    assert capture.format == "sysfs"
    assert capture.entries == FIRECRACKER_MAP
    assert capture.lines == (0,) * 5
    assert capture.cmdline is None
    assert capture.setup_data == ()


def test_one_boot_in_every_format_gives_one_map() -> None:
    for name, fmt in [
        ("firecracker-24g-dmesg.log", "dmesg"),
        ("firecracker-24g.memmap-grep", "sysfs-grep"),
        ("firecracker-24g.yaml", "yaml"),
        ("firecracker-24g.json", "json"),
    ]:
        capture = _load(name)
        assert capture.format == fmt, name
        assert capture.entries == FIRECRACKER_MAP, name
    assert _load("firecracker-24g.memmap-grep").lines == (2, 5, 8, 11, 14)
    assert _load("firecracker-24g.yaml").lines == (2, 3, 4, 5, 6)
    assert _load("firecracker-24g.json").lines == (3, 4, 5, 6, 7)


def test_sysfs_directory_sorted_by_number(tmp_path: Path) -> None:
    # A real 48-entry map laid out as /sys/firmware/memmap would be: N/start, N/end, N/type.
    names = {1: "System RAM", 2: "Reserved", 3: "ACPI Tables", 4: "ACPI Non-volatile Storage"}
    capture = _load("dell-xps-13-9300-16g.txt")
    for number, entry in enumerate(capture.entries):
        folder = tmp_path / str(number)
        folder.mkdir()
        (folder / "start").write_text(f"{entry.start:#x}\n")
        (folder / "end").write_text(f"{entry.last:#x}\n")
        (folder / "type").write_text(names.get(entry.type, "Unknown E820 type") + "\n")
    loaded = load_capture(tmp_path)
    assert [(e.start, e.size) for e in loaded.entries] == [
        (e.start, e.size) for e in capture.entries
    ]
    assert [e.type for e in loaded.entries] == [
        e.type if e.type in names else 20 for e in capture.entries
    ]


def test_sysfs_directory_errors(tmp_path: Path) -> None:
    with pytest.raises(LintError, match="no e820 map found"):
        load_capture(tmp_path)
    shutil.copytree(FIRECRACKER, tmp_path / "m")
    (tmp_path / "m" / "3" / "type").write_text("Mystery\n")
    with pytest.raises(LintError, match="unknown e820 type name 'Mystery'"):
        load_capture(tmp_path / "m")
    (tmp_path / "m" / "3" / "type").unlink()
    with pytest.raises(LintError, match="3: missing type"):
        load_capture(tmp_path / "m")


@pytest.mark.skipif(not Path("/sys/firmware/memmap").is_dir(), reason="no /sys/firmware/memmap")
def test_this_machines_sysfs_memmap() -> None:
    capture = load_capture("/sys/firmware/memmap")
    assert capture.format == "sysfs"
    assert capture.entries
    for before, after in zip(capture.entries, capture.entries[1:], strict=False):
        assert before.end <= after.start


def test_iomem_top_level_only() -> None:
    capture = _load("firecracker-24g.iomem")
    assert capture.format == "iomem"
    # e820_table after trim_bios_range (page 0 reserved); PCI Bus and IOAPIC lines are skipped.
    assert capture.entries == (
        Entry(0, 0x1000, 2),
        Entry(0x1000, 0x9EC00, 1),
        Entry(0x9FC00, 0x60400, 2),
        Entry(0x100000, 0xBFF00000, 1),
        Entry(0xEEC00000, 0x10000000, 2),
        Entry(0x100000000, 0x540000000, 1),
    )
    assert capture.lines == (1, 2, 3, 6, 12, 16)


def test_iomem_old_and_new_names() -> None:
    old = _load("debian-k8t800-1g-2-6-5.iomem")  # 2.6.5: lowercase "reserved"
    assert old.entries == (
        Entry(0, 0x9FC00, 1),
        Entry(0x9FC00, 0x400, 2),
        Entry(0x100000, 0x3FEF0000, 1),
        Entry(0x3FFF0000, 0x8000, 3),
        Entry(0x3FFF8000, 0x8000, 4),
        Entry(0xFEC00000, 0x1000, 2),
        Entry(0xFEE00000, 0x1000, 2),
        Entry(0xFFF80000, 0x80000, 2),
    )
    new = _load("amd-desktop-31g-notes.iomem")
    assert len(new.entries) == 31
    assert new.entries[0] == Entry(0, 0x1000, 2)
    assert new.entries[-1] == Entry(0x76E300000, 0x82FFFFFFF - 0x76E300000 + 1, 2)
    # setup_data nodes (RESERVED_KERN) show as separate "System RAM" resources
    assert Entry(0xC74A9018, 0xC74B6857 - 0xC74A9018 + 1, 1) in new.entries


def test_iomem_read_without_root() -> None:
    text = (FIXTURES / "firecracker-24g.iomem").read_text()
    zeroed = re.sub(r"[0-9a-f]+-[0-9a-f]+ :", "00000000-00000000 :", text)
    error = _error(zeroed)
    assert "read without root" in error.message


def test_yaml_and_json_details() -> None:
    capture = parse_capture(
        "e820:\n"
        "  - {start: 0, size: 0x1000, type: reserved}\n"
        "  - {start: 4096, end: 0x9ffff, type: type 20}\n"
        "  - {start: '0x100000', end: '0x1fffff', type: persistent (type 12)}\n"
        "cmdline: ro memmap=4K$0x1000\n"
    )
    assert capture.format == "yaml"
    assert capture.entries == (
        Entry(0, 0x1000, 2),
        Entry(0x1000, 0x9F000, 20),
        Entry(0x100000, 0x100000, 12),
    )
    assert capture.lines == (2, 3, 4)
    assert capture.cmdline == "ro memmap=4K$0x1000"


def test_round_trip_through_yaml(tmp_path: Path) -> None:
    source = _load("dell-poweredge-r7425-1020g.txt")
    text = "".join(
        f"- {{start: {e.start:#x}, end: {e.last:#x}, type: {type_name(e.type)}}}\n"
        for e in source.entries
    )
    (tmp_path / "map.yaml").write_text(text)
    assert load_capture(tmp_path / "map.yaml").entries == source.entries


def test_digest() -> None:
    digests = {
        capture_digest(load_capture(FIXTURES / name))
        for name in [
            "sysfs-memmap-firecracker-24g",
            "firecracker-24g-dmesg.log",
            "firecracker-24g.json",
        ]
    }
    assert digests == {"77b33078d70d9de5" + capture_digest(load_capture(FIRECRACKER))[16:]}
    assert len(capture_digest(load_capture(FIRECRACKER))) == 64
    z170 = _load("asus-z170-deluxe-32g.txt")
    without_setup_data = Capture(
        z170.entries, (), z170.cmdline, z170.user_map, None, "dmesg", "x", z170.lines
    )
    assert capture_digest(z170) != capture_digest(without_setup_data)
    other_cmdline = Capture(z170.entries, z170.setup_data, "quiet", None, None, "json", "y", ())
    assert capture_digest(z170) == capture_digest(other_cmdline)


# --- errors --------------------------------------------------------------------------------


def test_no_map() -> None:
    assert _error("").message == "no e820 map found in <inline>"
    assert _error("hello world\n", "notes.txt").message == "no e820 map found in notes.txt"
    assert _error("[    0.000000] Command line: ro quiet\n").message.startswith("no e820 map")
    assert _error("- 1\n- 2\n").message.startswith("entry 0: expected a mapping")
    assert _error("[]").message.startswith("no e820 map")


def test_missing_file() -> None:
    with pytest.raises(LintError, match="cannot read"):
        load_capture(FIXTURES / "no-such-capture.txt")


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        (
            "[    0.000000] BIOS-e820: [mem 0x00000000000-0x0009fbff] usabel",
            58,
            "unknown e820 type",
        ),
        ("[    0.000000] BIOS-e820: [mem 0x0000-0x9fbff]", 47, "missing e820 type"),
        ("[    0.000000] BIOS-e820: [mam 0x0000-0x9fbff] usable", 28, "expected 'mem' or 'gap'"),
        ("[    0.000000] BIOS-e820: [mem 0x0000 0x9fbff] usable", 38, "expected '-'"),
        ("[    0.000000] BIOS-e820: [mem 0x0-0x9fbff usable", 43, "expected ']'"),
        ("BIOS-e820: [mem 0x10000000000000000-0x1] usable", 19, "more than 16"),
        ("BIOS-e820: usable", 12, "expected '[mem ...]'"),
        (" BIOS-e820: 0000000000000000 - 000000000009fc00 (usable", 56, "expected ')'"),
        (" BIOS-e820: 0000000000000000 000000000009fc00 (usable)", 30, "expected '-'"),
        (" user: [mem 0x0-0xfff] bogus", 24, "unknown e820 type"),
        ("e820: update [mem 0x0-0xfff] usable", 1, "malformed 'e820: update"),
    ],
)
def test_malformed_lines_are_located(line: str, column: int, message: str) -> None:
    text = "[    0.000000] Command line: ro\n" + line + "\n"
    error = _error(text, "boot.log")
    assert message in error.message
    assert (error.path, error.line, error.column) == ("boot.log", 2, column)


def test_two_boots_in_one_log() -> None:
    one = (FIXTURES / "qemu-q35-8g.txt").read_text()
    error = _error(one + one)
    assert "a second e820 map" in error.message
    assert error.line == len(one.split("\n")) + 1


def test_mixed_formats() -> None:
    text = (
        " BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)\n"
        "BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n"
    )
    assert "mixes the old" in _error(text).message


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("- {start: 0, end: 0xfff, type: usable\n", 2, 1, "invalid YAML"),
        ("- {start: 0, end: 0xfff, type: bogus}\n", 1, 32, "unknown e820 type name 'bogus'"),
        ("- {start: 0, end: 0xfff}\n", 1, 3, "missing type"),
        ("- {start: 0x2000, end: 0xfff, type: 1}\n", 1, 24, "below start"),
        ("- {start: 0, end: 0xfff, size: 4096, type: 1}\n", 1, 3, "exactly one of end"),
        ("- {start: true, end: 0xfff, type: 1}\n", 1, 11, "expected an integer"),
        ("- {start: 0, end: 0x1ffffffffffffffff, type: 1}\n", 1, 19, "outside"),
        ("- {start: 0, end: 0xfff, type: 1, name: x}\n", 1, 35, "unknown key 'name'"),
        ("e820: []\nhosts: {}\n", 2, 1, "unknown key 'hosts'"),
        ('[{"start": 0, "end": 4095, "type": "usable"}', 1, 45, "invalid JSON"),
        ('[{"start": "0xzz", "end": 4095, "type": 1}]', 1, 12, "0x-hexadecimal"),
        ("00000000-00000fff : Reserved\nnot iomem\n", 2, 1, "/proc/iomem line"),
        (
            "/sys/firmware/memmap/0/start:0x0\n/sys/firmware/memmap/0/end:zz\n/sys/firmware/memmap/0/type:Reserved\n",
            2,
            28,
            "0x-prefixed",
        ),
        ("/sys/firmware/memmap/0/start:0x0\nfoo\n", 2, 1, "expected '<dir>/N/start:'"),
    ],
)
def test_data_errors_are_located(text: str, line: int, column: int, message: str) -> None:
    error = _error(text)
    assert message in error.message
    assert (error.line, error.column) == (line, column)
