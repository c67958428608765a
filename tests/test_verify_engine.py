"""``verify`` on the recorded post-boot consoles of Debian's 6.12 kernel (tests/postboot_boot.py).

Each recording is what the initramfs printed on the serial console after the boot: the
collector's own framed output, read by the collector's own parser. The live counterpart (the
same boots, booted now) is tests/test_verify_boot.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from memmap_lint.collect.facts import HostFacts
from postboot_boot import SCENARIOS, console_facts, verify_findings

FIXTURES = Path(__file__).parent / "fixtures" / "postboot"


def _facts() -> dict[str, HostFacts]:
    return {n: console_facts((FIXTURES / f"{n}.console").read_text()) for n in SCENARIOS}


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str]]]:
    found = verify_findings(_facts(), tmp_path_factory.mktemp("verify"))
    return {h: [(f.code, f.message) for f in fs] for h, fs in found.items()}


def codes(found: list[tuple[str, str]]) -> list[str]:
    return sorted(c for c, _ in found)


def test_recordings_are_the_scenarios() -> None:
    for name, facts in _facts().items():
        assert facts.proc_cmdline.endswith(SCENARIOS[name])
        assert facts.kernel_release.startswith("6.12.")
        assert facts.postboot is not None
        assert HostFacts.from_dict(facts.to_dict()) == facts


def test_good_boot_every_region_and_consumer_found(
    findings: dict[str, list[tuple[str, str]]],
) -> None:
    assert codes(findings["good"]) == ["MM708", "MM708"]  # information only: exit 0
    text = " ".join(m for _, m in findings["good"])
    assert "region 'oops' landed at [mem 0x000000003de00000-0x000000003e9fffff]" in text
    assert "region 'trace' landed at [mem 0x000000003d600000-0x000000003ddfffff]" in text


def test_mem_name_typo(findings: dict[str, list[tuple[str, str]]]) -> None:
    assert "MM703" in codes(findings["typo"])
    message = next(m for c, m in findings["typo"] if c == "MM703")
    assert "ramoops.mem_name=opps names no reserved region" in message
    # nothing consumes 'oops' now, so nothing shows it: not verified, never "clean"
    assert "MM706" in codes(findings["typo"])


def test_region_too_large(findings: dict[str, list[tuple[str, str]]]) -> None:
    assert codes(findings["too-large"]) == ["MM701", "MM703", "MM708"]
    message = next(m for c, m in findings["too-large"] if c == "MM701")
    assert "reserve_mem=2G:4096:oops" in message and "-ENOMEM" in message


def test_duplicate_name(findings: dict[str, list[tuple[str, str]]]) -> None:
    assert codes(findings["duplicate"]) == ["MM701", "MM708"]
    message = next(m for c, m in findings["duplicate"] if c == "MM701")
    assert message.startswith("reserve_mem=8M:4096:oops") and "-EBUSY" in message


def test_trace_region_typo(findings: dict[str, list[tuple[str, str]]]) -> None:
    assert codes(findings["trace-typo"]) == ["MM704", "MM706", "MM708"]


def test_pstore_not_mounted(findings: dict[str, list[tuple[str, str]]]) -> None:
    assert codes(findings["no-pstore-mount"]) == ["MM705", "MM708"]


def test_crash_log_kept_but_not_archived(findings: dict[str, list[tuple[str, str]]]) -> None:
    """A real crash (sysrq c), QEMU's warm reset keeping RAM, the next boot's pstore."""
    assert codes(findings["crash"]) == ["MM705", "MM708"]
    message = next(m for c, m in findings["crash"] if c == "MM705")
    assert "1 record(s)" in message
    crash = _facts()["crash"].postboot
    assert crash is not None and crash.pstore == ("dmesg-ramoops-0",)


def test_zones_other_than_the_command_lines(findings: dict[str, list[tuple[str, str]]]) -> None:
    assert codes(findings["modprobe-options"]) == ["MM703", "MM708"]
    message = next(m for c, m in findings["modprobe-options"] if c == "MM703")
    assert "record_size 16384 (command line: 4096)" in message


def test_memmap_table_matches_the_kernels(findings: dict[str, list[tuple[str, str]]]) -> None:
    assert findings["memmap-edit"] == []


def test_parse_sections() -> None:
    good = _facts()["good"].postboot
    assert good is not None
    assert good.ramoops is not None and good.ramoops["mem_address"] == str(0x3DE00000)
    assert good.trace_instances == ("boot",)
    assert good.pstore_mounted is True and good.pstore == ()
    # 6.12.118 has no debugfs reserve_mem_param; no systemd in the initramfs
    assert "/sys/kernel/debug/memblock/reserve_mem_param" in good.missing
    assert "pstore-archive" in good.missing
