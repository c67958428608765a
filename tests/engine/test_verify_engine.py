"""``verify`` on the recorded post-boot consoles of Debian's 6.12 kernel (tests/postboot_boot.py).

Each recording is what the initramfs printed on the serial console after the boot: the
collector's own framed output, read by the collector's own parser. The live counterpart (the
same boots, booted now) is tests/engine/test_verify_boot.py.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from memmap_lint.collect.facts import HostFacts
from memmap_lint.collect.script import END, MAGIC, GarbageOutput, parse_output
from memmap_lint.engine.collected import facts_capture
from memmap_lint.engine.registry import load_rules, select
from memmap_lint.engine.runner import Engine
from memmap_lint.engine.verify import check_host
from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.release import kernel_for
from memmap_lint.kernel.simulate import simulate
from memmap_lint.rule import HostContext
from postboot_boot import KERNEL_OF, SCENARIOS, console_facts, verify_findings

FIXTURES = Path(__file__).parent.parent / "fixtures" / "postboot"


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
        assert facts.kernel_release.startswith("6.1." if name in KERNEL_OF else "6.12.")
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


def test_stock_memmap_exact(findings: dict[str, list[tuple[str, str]]]) -> None:
    """6.1 (stock): the printed user-defined map is the simulated table entry for entry, and
    ramoops registered at the ramoops.mem_address/mem_size of the command line."""
    assert findings["stock-memmap"] == []
    facts = _facts()["stock-memmap"]
    assert facts.postboot is not None
    cap = facts_capture(facts, "sysfs")
    assert cap is not None
    kernel = kernel_for(facts.kernel_release, (), None)
    sim = simulate(cap.entries, parse(facts.proc_cmdline), kernel, cap.setup_data)
    verdict = check_host(sim, facts.postboot)
    assert verdict["dialect"] == "stock"
    assert verdict["table"]["checked"] and verdict["table"]["matches"]
    assert verdict["ramoops"]["state"] == "attached"
    assert verdict["ramoops"]["attached"]["start"] == 0x3D000000


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


_KEYS = sorted(
    {"/proc/iomem", "ramoops-params", "trace-instances", "pstore", "pstore-archive",
     "pstore-mounted", "klog-postboot", "postboot-via",
     "/sys/kernel/debug/memblock/reserve_mem_param"}
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_KEYS), st.sampled_from("FMD"), st.binary(max_size=120)),
        max_size=6,
        unique_by=lambda t: t[0],
    )
)
def test_postboot_sections_fuzz(sections: list[tuple[str, str, bytes]]) -> None:
    """Any post-boot sections give facts or GarbageOutput, and verify never raises on them."""
    lines = [MAGIC, "F uname-r", base64.b64encode(b"6.12.118+deb12-amd64\n").decode(), "."]
    lines += ["F uname-m", base64.b64encode(b"x86_64\n").decode(), "."]
    lines += ["F /proc/cmdline", base64.b64encode(SCENARIOS["good"].encode()).decode(), "."]
    lines += ["F memmap", base64.b64encode(b"0 0x0 0x9fbff System RAM\n1 0x100000 0x3ffdffff System RAM\n").decode(), "."]
    for key, tag, data in sections:
        lines.append(f"{tag} {key}")
        if tag == "F":
            lines += [base64.b64encode(data).decode(), "."]
    lines.append(END)
    try:
        facts = parse_output(("\n".join(lines) + "\n").encode(), "fuzz", "2026-12-02T20:16:00Z")
    except GarbageOutput:
        return
    assert HostFacts.from_dict(facts.to_dict()) == facts
    if facts.postboot is not None:
        cap = facts_capture(facts, "fuzz")
        assert cap is not None
        kernel = kernel_for(facts.kernel_release, (), None)
        line = parse(facts.proc_cmdline)
        check_host(simulate(cap.entries, line, kernel, cap.setup_data), facts.postboot)


_VERIFY_RULES = select(load_rules([]), ["MM7"], [])
_KLOG_PIECES = st.sampled_from(
    [
        "ramoops: using 0x{a:x}@0x{b:x}, ecc: {n}",
        "ramoops: no room for dmesg mem region (0x{a:x}@0x{b:x})",
        "pstore: backend 'efi_pstore' already loaded: ignoring 'ramoops'",
        "Tracing: mapped boot instance boot at physical memory 0x{a:x} of size 0x{b:x}",
        "Failed to map boot instance boot to trace",
        "user-defined physical RAM map:",
        "user: [mem 0x{a:016x}-0x{b:016x}] usable",
        "user: [mem 0x{a:016x}-0x{b:016x}] persistent (type 12)",
        "BIOS-e820: [mem 0x{a:016x}-0x{b:016x}] reserved",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(_KLOG_PIECES, st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), st.integers(0, 99)),
        max_size=8,
    ),
    st.dictionaries(
        st.sampled_from(["mem_name", "mem_size", "mem_address", "record_size", "pmsg_size"]),
        st.sampled_from(["0", "oops", "trace", "(null)", "12582912", "0x10", "-1", "junk"]),
    ),
)
def test_verify_fuzz_kernel_messages(
    pieces: list[tuple[str, int, int, int]], params: dict[str, str]
) -> None:
    """Whatever the kernel log and ramoops parameters say, the comparison is a result."""
    good = _facts()["good"]
    assert good.postboot is not None
    klog = "".join(p.format(a=a, b=b, n=n) + "\n" for p, a, b, n in pieces)
    pb = replace(good.postboot, klog=klog, ramoops=params)
    cap = facts_capture(good, "fuzz")
    assert cap is not None
    kernel = kernel_for(good.kernel_release, (), None)
    sim = simulate(cap.entries, parse(good.proc_cmdline), kernel, cap.setup_data)
    verdict = check_host(sim, pb)
    assert {r["state"] for r in verdict["regions"]} <= {"present", "absent", "moved", "unknown"}
    ctx = HostContext("fuzz", sim.cmdline, kernel, sim, facts={"verify": verdict})
    for f in Engine(_VERIFY_RULES).check_host(ctx):
        assert f.code.startswith("MM7") and f.message


def test_rfc_regions_verified_through_the_printed_map() -> None:
    """RFC kernels (Debian 6.1.192 with the RFC patch, tests/fixtures/kernel-answers/rfc-6.1):
    the boot log's user-defined map is the only post-boot evidence of a wildcard region; verify
    finds each placed region there, at the address the patched kernel's name table recorded."""
    from kernel_answers import answers, read_answer
    from memmap_lint.collect.postboot import PostBoot
    from memmap_lint.kernel.model import PLACED

    checked = 0
    kernel = kernel_for("6.1.0-28-rfc", ("memmap-wildcard",), None)
    for path in answers("rfc-6.1"):
        answer = read_answer(path)
        if answer.table is None or not answer.names:
            continue
        log = "".join(
            line + "\n" for line in path.read_text().splitlines() if "memmap_named" not in line
        )
        sim = simulate(answer.firmware, parse(answer.cmdline), kernel, answer.setup_data)
        verdict = check_host(sim, PostBoot(klog=log))
        assert verdict["table"]["checked"] and verdict["table"]["matches"], path.name
        for item in verdict["regions"]:
            region = sim.regions[item["index"]]
            if region.status != PLACED or region.kind != "memmap-wildcard":
                continue
            assert item["state"] == "present", path.name
            recorded = [(s, n) for name, s, n in answer.names if name == region.name]
            assert (item["actual"], item["actual_size"]) in recorded, path.name
            checked += 1
    assert checked >= 50
