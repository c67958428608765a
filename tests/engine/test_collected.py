"""The pure conversion of collected HostFacts (linter/engine/collected.py, linter/engine/lint_collected.py).

Facts are built from the fixture hosts of tests/fixtures/sshd/ (the same files the real-sshd tests
serve): the R7625's sysfs map and Debian GRUB files, the Azure Gen2 VM's kernel log and RHEL 10
BLS entries. Expectations come from those files and from GRUB's rules as the bootconfig package
models them (grub-core/normal/menu.c default entry; blscfg sorting; grubenv saved_entry).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from memmap_lint.captures.parse import load_capture
from memmap_lint.collect.facts import FirmwareEntry, HostFacts
from memmap_lint.engine.collected import (
    PROC_CMDLINE,
    age_days,
    boot_cmdline,
    facts_capture,
    view_of,
)
from memmap_lint.errors import LintError

SSHD = Path(__file__).parent.parent / "fixtures" / "sshd"
NOW = datetime(2025, 6, 10, 12, 0, tzinfo=timezone.utc)


def _memmap(host: str) -> tuple[FirmwareEntry, ...]:
    out = []
    for d in sorted((SSHD / host / "memmap").iterdir(), key=lambda p: int(p.name)):
        start, end, kind = ((d / k).read_text().strip() for k in ("start", "end", "type"))
        out.append(FirmwareEntry(int(d.name), int(start, 16), int(end, 16), kind))
    return tuple(out)


def _boot_files(host: str) -> dict[str, str]:
    root = SSHD / host
    files = {}
    for sub in ("etc", "boot"):
        for p in sorted((root / sub).rglob("*")):
            if p.is_file() and not p.name.startswith("vmlinuz-"):
                files["/" + str(p.relative_to(root))] = p.read_text()
    return files


def _facts(host: str, **kw: object) -> HostFacts:
    base: dict[str, object] = {
        "address": "127.0.0.1:22",
        "collected_at": "2025-06-01T08:00:00Z",
        "kernel_release": "6.12.11-amd64",
        "arch": "x86_64",
        "proc_cmdline": (SSHD / host / "cmdline").read_text().strip(),
        "e820_source": "sysfs",
    }
    base.update(kw)
    return HostFacts(**base)  # type: ignore[arg-type]


def test_sysfs_entries_make_the_same_capture_as_the_directory() -> None:
    facts = _facts("r7625", memmap=_memmap("r7625"))
    capture = facts_capture(facts, "cache/db-01.json")
    assert capture is not None and capture.source == "cache/db-01.json"
    assert capture.entries == load_capture(SSHD / "r7625" / "memmap").entries
    assert len(capture.entries) == 32


def test_kernel_log_text_makes_the_same_capture_as_the_log() -> None:
    text = (SSHD / "azure-gen2" / "dmesg.txt").read_text()
    facts = _facts("azure-gen2", e820_source="dmesg", e820_text=text)
    capture = facts_capture(facts, "x")
    assert capture is not None
    assert capture.entries == load_capture(SSHD / "azure-gen2" / "dmesg.txt").entries


def test_no_map_and_a_bad_map() -> None:
    assert facts_capture(_facts("r7625", e820_source="none"), "x") is None
    with pytest.raises(LintError) as err:
        facts_capture(_facts("r7625", e820_source="dmesg", e820_text="hello\n"), "x")
    assert err.value.code == "MM602"


def test_grub_cfg_default_entry_is_the_next_boot() -> None:
    # The fixture's grub.cfg lacks 00_header's menuentry_id_option preamble, so its ids are not
    # ids and grubenv's saved_entry (an id path) matches nothing: GRUB boots entry 0
    # (menu.c: an unknown default falls back to 0), the 6.12.11 entry.
    boot = boot_cmdline(_facts("r7625", boot_files=_boot_files("r7625")))
    assert boot.source == "/boot/grub/grub.cfg default entry 'Debian GNU/Linux'"
    assert boot.text.startswith("BOOT_IMAGE=/boot/vmlinuz-6.12.11-amd64 root=UUID=")
    assert boot.text.endswith("console=ttyS0,115200n8 console=tty0 quiet")
    assert boot.kernel == "6.12.11-amd64"
    # each character is traced to its line of the remote grub.cfg (line 16, the linux line)
    at = boot.text.index("quiet")
    assert boot.origin(at) is not None and boot.origin(at)[:2] == ("/boot/grub/grub.cfg", 16)  # type: ignore[index]


def test_bls_saved_entry_is_the_next_boot() -> None:
    boot = boot_cmdline(_facts("azure-gen2", boot_files=_boot_files("azure-gen2")))
    assert boot.source.startswith("BLS default entry 'Red Hat Enterprise Linux (6.12.0-55.el10")
    assert "runs blscfg" in boot.source
    assert boot.kernel == "6.12.0-55.el10.x86_64"  # grubenv saved_entry, not the newest entry
    assert "crashkernel=1G-64G:448M,64G-:512M" in boot.text


def test_kernel_cmdline_file_then_proc_cmdline() -> None:
    only = {"/etc/kernel/cmdline": "root=/dev/sda1  ro\n  quiet\n"}
    boot = boot_cmdline(_facts("r7625", boot_files=only))
    assert (boot.text, boot.source, boot.kernel) == (
        "root=/dev/sda1 ro quiet",
        "/etc/kernel/cmdline",
        None,
    )
    bare = _facts("r7625")
    boot = boot_cmdline(bare)
    assert boot.text == bare.proc_cmdline and boot.path == PROC_CMDLINE
    assert "no boot files collected" in boot.source
    assert boot.origin(5) == (PROC_CMDLINE, 1, 6)


def test_view_facts_for_rules() -> None:
    facts = _facts(
        "r7625",
        memmap=_memmap("r7625"),
        boot_files=_boot_files("r7625"),
        dmi_product="PowerEdge R7625",
        bios_version="1.10.6",
        next_kernel="6.1.0-28-amd64",
        next_kernel_source="grubenv saved_entry",
    )
    view = view_of(facts, "cache/db-01.json", NOW)
    assert view.next_kernel == "6.12.11-amd64"  # the default entry's image wins (see above)
    assert view.facts["hardware"] == {"product": "PowerEdge R7625", "bios": "1.10.6"}
    assert view.facts["current_kernel"] == "6.12.11-amd64"
    assert view.facts["boot_image"] == "/boot/vmlinuz-6.12.11-amd64"
    cap = view.facts["capture"]
    assert cap["age_days"] == 9 and cap["kernel"] == "6.12.11-amd64"
    assert cap["collected_at"] == "2025-06-01T08:00:00Z" and cap["digest"] == view.digest
    # no boot entry: the collector's next_kernel answers
    bare = view_of(
        _facts(
            "r7625", memmap=_memmap("r7625"), next_kernel="6.1.0-28-amd64", next_kernel_source="x"
        ),
        "c",
        NOW,
    )
    assert (bare.next_kernel, bare.kernel_source) == ("6.1.0-28-amd64", "x")


def test_age_days() -> None:
    assert age_days("2025-06-01T08:00:00Z", NOW) == 9
    assert age_days("2025-06-10", NOW) == 0
    assert age_days("yesterday", NOW) is None


def test_with_collected_prefers_the_inventory_and_points_at_remote_files(tmp_path: Path) -> None:
    from memmap_lint.collect.facts import CollectFailure
    from memmap_lint.collect.run import Outcome
    from memmap_lint.engine.findings import Location
    from memmap_lint.engine.hostinput import CaptureCache, build
    from memmap_lint.engine.inventory_input import sources_of
    from memmap_lint.engine.lint_collected import with_collected
    from memmap_lint.inventory.load import load_inventory

    inv = tmp_path / "inv.yaml"
    inv.write_text(
        "all:\n  hosts:\n    bare: {}\n"
        '    planned: {kernel: 6.1.0-28-amd64, kernel_cmdline: "ro memmap=12M*4096:oops"}\n'
    )
    hosts = load_inventory(inv).hosts
    facts = _facts("r7625", memmap=_memmap("r7625"), boot_files=_boot_files("r7625"))
    ok = Outcome("bare", facts, facts, 60.0, "ssh", (), tmp_path / "bare.json", 86400.0)
    bare = build(with_collected(sources_of(hosts["bare"], CaptureCache()), ok, NOW))
    assert bare.capture is not None and len(bare.capture.entries) == 32
    assert bare.kernel.release == "6.12.11-amd64" and bare.cmdline.text == boot_cmdline(facts).text
    assert bare.facts["cmdline_source"].startswith("/boot/grub/grub.cfg default entry")
    assert bare.locate(bare.cmdline.text.index("quiet")) == Location(
        "bare:/boot/grub/grub.cfg", 16, 122
    )
    assert bare.locate(0) == Location(str(inv), 3, 5)  # BOOT_IMAGE= is GRUB's: the host's line
    # the inventory's plan wins; after a failure the cached facts stay, flagged for MM603
    failed = CollectFailure("planned", "refused", "connection refused", "127.0.0.1:22", 3)
    old = Outcome("planned", failed, facts, 3 * 86400.0, "ssh", (), tmp_path / "p.json", 86400.0)
    planned = build(with_collected(sources_of(hosts["planned"], CaptureCache()), old, NOW))
    assert planned.kernel.release == "6.1.0-28-amd64"
    assert planned.cmdline.text == "ro memmap=12M*4096:oops"
    assert planned.facts["collect_failure"]["cause"] == "refused"
    assert "current_kernel" not in planned.facts
    (reason,) = planned.facts["capture"]["stale"]
    assert "collection failed (refused)" in reason and "3 days old" in reason
    assert planned.facts["collect_failure"]["used"] == "cache"


def test_failed_collection_says_what_was_used_instead(tmp_path: Path) -> None:
    """No cached facts: a host with an inventory capture is linted with it, one without with no
    map (MM601 says which; it once claimed "last cached facts" for a host never collected)."""
    from memmap_lint.collect.facts import CollectFailure
    from memmap_lint.collect.run import Outcome
    from memmap_lint.engine.hostinput import CaptureCache, build
    from memmap_lint.engine.inventory_input import sources_of
    from memmap_lint.engine.lint_collected import with_collected
    from memmap_lint.inventory.load import load_inventory

    capture = Path(__file__).parent.parent / "fixtures" / "e820" / "acer-travelmate-5735z-3g.txt"
    inv = tmp_path / "inv.yaml"
    inv.write_text(f"all:\n  hosts:\n    mapped: {{e820: '{capture}'}}\n    bare: {{}}\n")
    hosts = load_inventory(inv).hosts
    used = {}
    for name in ("mapped", "bare"):
        failed = CollectFailure(name, "refused", "connection refused", "127.0.0.1:22", 3)
        never = Outcome(name, failed, None, None, "ssh", (), tmp_path / "x.json", 86400.0)
        built = build(with_collected(sources_of(hosts[name], CaptureCache()), never, NOW))
        used[name] = built.facts["collect_failure"]["used"]
    assert used == {"mapped": "inventory", "bare": "none"}
