"""The machine's and the running kernel's facts the collector reads: possible CPUs
(``/sys/devices/system/cpu/possible``) and the image extent (post-boot ``/proc/iomem``)."""

from __future__ import annotations

import base64
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from memmap_lint.captures.parse import capture_digest
from memmap_lint.collect.facts import FirmwareEntry, HostFacts
from memmap_lint.collect.postboot import PostBoot
from memmap_lint.collect.script import parse_output, remote_script
from memmap_lint.engine.collected import facts_capture, view_of
from memmap_lint.kernel.earlyboot import IMAGE_SIZE, IMAGE_START

FIXTURES = Path(__file__).parent.parent / "fixtures"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
DEBIAN = "6.12.118+deb12-amd64"


def _section(key: str, data: bytes) -> str:
    return f"F {key}\n{base64.encodebytes(data).decode()}.\n"


def test_possible_cpus_are_nr_cpu_ids_and_not_a_boot_file() -> None:
    raw = (
        "memmap-lint-facts 1\n"
        + _section("uname-r", b"6.1.0-28-amd64\n")
        + _section("uname-m", b"x86_64\n")
        + _section("/proc/cmdline", b"ro quiet\n")
        + _section("/sys/devices/system/cpu/possible", b"0-3,8-11\n")
        + _section("memmap", b"0 0x0 0x9fbff System RAM\n")
        + "memmap-lint-facts end\n"
    ).encode()
    facts = parse_output(raw, "h:22", "2026-05-09T07:35:25Z")
    assert facts.cpus_possible == "0-3,8-11" and facts.cpus == 12
    assert "/sys/devices/system/cpu/possible" not in facts.boot_files
    assert HostFacts.from_dict(facts.to_dict()) == facts
    older = facts.to_dict()
    del older["cpus_possible"]  # caches written before the field stay readable
    assert HostFacts.from_dict(older).cpus is None
    assert HostFacts(**{**_base(), "cpus_possible": "0-3\n7"}).cpus is None  # type: ignore[arg-type]


def _base() -> dict[str, object]:
    return {
        "address": "127.0.0.1:22",
        "collected_at": "2026-12-02T08:00:00Z",
        "kernel_release": DEBIAN,
        "arch": "x86_64",
        "proc_cmdline": "ro",
        "e820_source": "sysfs",
        "memmap": (
            FirmwareEntry(0, 0, 0x9FBFF, "System RAM"),
            FirmwareEntry(1, 0x100000, 0x3FFDFFFF, "System RAM"),
        ),
    }


def test_collected_capture_carries_cpus_and_the_image() -> None:
    iomem = (FIXTURES / "postboot" / "memmap-edit.iomem").read_text()
    plain = HostFacts(**_base())  # type: ignore[arg-type]
    facts = HostFacts(  # type: ignore[arg-type]
        **_base(), cpus_possible="0-7", postboot=PostBoot(iomem=iomem)
    )
    view = view_of(facts, "cache/h.json", NOW)
    assert view.capture is not None
    assert (view.capture.cpus, view.capture.image) == (8, (IMAGE_START, IMAGE_SIZE))
    assert view.capture.boot_facts(DEBIAN).image == (IMAGE_START, IMAGE_SIZE)
    assert view.capture.boot_facts("6.1.0-40-amd64").image is None
    # the profile stays the firmware map's: an inventory capture of it is not "different"
    bare = facts_capture(plain, "x")
    assert bare is not None and view.digest == capture_digest(bare)


def test_the_real_script_reads_this_machines_possible_cpus() -> None:
    """The remote script run here by sh, as the collector runs it on a host."""
    out = subprocess.run(
        ["sh", "-c", remote_script(False)], capture_output=True, timeout=60, check=True
    ).stdout
    facts = parse_output(out, "local", "2026-12-02T08:00:00Z")
    expected = Path("/sys/devices/system/cpu/possible").read_text().strip()
    assert facts.cpus_possible == expected
    assert facts.cpus is not None and facts.cpus >= (os.cpu_count() or 1)
