"""The post-boot checks against live kernels: Debian's 6.12 (and 6.1) booted now under QEMU.

Each scenario (tests/postboot_boot.py) boots into an initramfs that loads ramoops and its
dependencies from the kernel package and prints the collector's facts on the serial console;
``verify`` must find every region and consumer of the good boot and flag each broken one with
its own finding. The recordings in tests/fixtures/postboot are these boots.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from kernel_boot import kernels_dir, qemu
from memmap_lint.collect.facts import HostFacts
from postboot_boot import (
    KERNEL_OF,
    SCENARIOS,
    boot_postboot,
    busybox,
    console_facts,
    verify_findings,
)

pytestmark = pytest.mark.qemu

KERNEL = "mainline-6.12"


def _need_tools() -> None:
    kernels = {KERNEL, *KERNEL_OF.values()}
    if qemu() and busybox() and all((kernels_dir() / k / "modules").is_dir() for k in kernels):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("QEMU, busybox-static or the 6.12 kernel modules are missing")
    pytest.skip("QEMU, busybox-static or the 6.12 kernel modules: run .ci/install-qemu.sh")


@pytest.fixture(scope="module")
def booted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, HostFacts]:
    _need_tools()
    tmp = tmp_path_factory.mktemp("postboot")

    def one(name: str) -> tuple[str, HostFacts]:
        folder = tmp / name
        folder.mkdir()
        run = boot_postboot(KERNEL_OF.get(name, KERNEL), SCENARIOS[name], folder)
        assert run.facts is not None, f"{name}: no facts on the console:\n{run.console[-2000:]}"
        return name, console_facts(run.console)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, SCENARIOS))


@pytest.fixture(scope="module")
def codes(
    booted: dict[str, HostFacts], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[str]]:
    found = verify_findings(booted, tmp_path_factory.mktemp("verify"))
    return {h: sorted(f.code for f in fs) for h, fs in found.items()}


def test_good_boot_is_clean(booted: dict[str, HostFacts], codes: dict[str, list[str]]) -> None:
    assert codes["good"] == ["MM708", "MM708"]
    pb = booted["good"].postboot
    assert pb is not None and pb.ramoops is not None
    assert pb.ramoops["mem_name"] == "oops" and pb.ramoops["mem_size"] == str(12 << 20)
    assert pb.trace_instances == ("boot",)
    assert pb.klog is not None and "ramoops: using 0xc00000@0x" in pb.klog
    crash = booted["crash"].postboot
    assert crash is not None and crash.pstore == ("dmesg-ramoops-0",)


def test_each_broken_boot_has_its_finding(codes: dict[str, list[str]]) -> None:
    assert "MM703" in codes["typo"]
    assert codes["too-large"] == ["MM701", "MM703", "MM708"]
    assert codes["duplicate"] == ["MM701", "MM708"]
    assert codes["trace-typo"] == ["MM704", "MM706", "MM708"]
    assert codes["no-pstore-mount"] == ["MM705", "MM708"]
    assert codes["crash"] == ["MM705", "MM708"]  # the log was kept; nothing archives it
    assert codes["modprobe-options"] == ["MM703", "MM708"]  # other zones than the command line
    assert codes["stock-memmap"] == []  # 6.1: the printed map is the simulated one, exactly
    assert codes["memmap-edit"] == []


def test_the_recordings_still_hold(booted: dict[str, HostFacts]) -> None:
    """The live boots print what the recordings hold (addresses included: nokaslr, 1 GiB)."""
    fixtures = Path(__file__).parent.parent / "fixtures" / "postboot"
    for name, facts in booted.items():
        recorded = console_facts((fixtures / f"{name}.console").read_text())
        assert facts.proc_cmdline == recorded.proc_cmdline
        assert facts.memmap == recorded.memmap
        assert facts.postboot is not None and recorded.postboot is not None
        assert facts.postboot.ramoops == recorded.postboot.ramoops
        assert facts.postboot.trace_instances == recorded.postboot.trace_instances
        assert facts.postboot.pstore == recorded.postboot.pstore
