"""The per-host cache: atomic replacement, freshness, failures that keep facts, change detection.

The crash test kills a real writer process with SIGKILL at random moments: POSIX rename(2) is
atomic, so every cache file must load (old or new content) or be absent, never be torn.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from memmap_lint.collect.cache import Cache, changes_between
from memmap_lint.collect.facts import CollectFailure, FirmwareEntry, HostFacts

FACTS = HostFacts(
    address="127.0.0.1:2222",
    collected_at="2026-05-09T07:35:25Z",
    kernel_release="6.1.0-28-amd64",
    arch="x86_64",
    proc_cmdline="ro quiet memmap=12M*4096:oops",
    e820_source="sysfs",
    memmap=(
        FirmwareEntry(0, 0, 0x9FBFF, "System RAM"),
        FirmwareEntry(1, 0x9FC00, 0xFFFFF, "Reserved"),
    ),
    dmi_product="PowerEdge R7625",
    bios_version="1.10.6",
    boot_files={"/etc/default/grub": 'GRUB_CMDLINE_LINUX="ro"\n'},
    boot_kernels=("6.1.0-28-amd64",),
    next_kernel="6.1.0-28-amd64",
    next_kernel_source="newest /boot/vmlinuz-*",
)
STAMP = 1778312125.0  # 2026-05-09T07:35:25Z


def test_round_trip_and_freshness(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.record("db-01", FACTS, now=STAMP + 5)
    entry = cache.load("db-01")
    assert entry is not None and entry.facts == FACTS and entry.result == FACTS
    assert entry.facts_at == STAMP and entry.address == "127.0.0.1:2222"
    assert cache.fresh("db-01", max_age=60, now=STAMP + 60) == FACTS
    assert cache.fresh("db-01", max_age=60, now=STAMP + 61) is None
    assert cache.fresh("web-01", max_age=60) is None


def test_failure_keeps_previous_facts(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.record("db-01", FACTS, now=STAMP)
    failure = CollectFailure("db-01", "refused", "connection refused", "127.0.0.1:2222")
    entry = cache.record("db-01", failure, now=STAMP + 100)
    assert entry.result == failure and entry.facts == FACTS
    loaded = cache.load("db-01")
    assert loaded is not None and loaded.result == failure and loaded.facts == FACTS


def test_changes_since_previous_entry(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.record("db-01", FACTS, now=STAMP)
    newer = replace(
        FACTS,
        kernel_release="6.12.11-amd64",
        bios_version="1.11.0",
        memmap=FACTS.memmap[:1],
        collected_at="2026-05-10T00:00:00Z",
    )
    entry = cache.record("db-01", newer)
    assert entry.changes == (
        "running kernel 6.1.0-28-amd64 -> 6.12.11-amd64",
        "firmware memory map changed",
        "BIOS version 1.10.6 -> 1.11.0",
    )
    assert changes_between(newer, newer) == ()


def test_host_names_are_safe_file_names(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    for name in ("../../etc/passwd", "a/b", ".hidden", "db 01"):
        cache.record(name, FACTS)
        assert cache.path_for(name).parent == tmp_path
        loaded = cache.load(name)
        assert loaded is not None and loaded.host == name


def test_damaged_file_is_treated_as_absent(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.path_for("db-01").write_text('{"schema": "memmap-lint/cache/v1", "host": ')
    assert cache.load("db-01") is None
    cache.path_for("db-02").write_text(json.dumps({"schema": "other"}))
    assert cache.load("db-02") is None


WRITER = """
import sys
from dataclasses import replace
sys.path.insert(0, sys.argv[2])
from test_collect_cache import FACTS
from memmap_lint.collect.cache import Cache
cache = Cache(sys.argv[1])
i = 0
print("ready", flush=True)
while True:
    i += 1
    big = {f"/boot/loader/entries/e{n}.conf": "x" * (i % 7000) for n in range(8)}
    cache.record(f"host-{i % 5}", replace(FACTS, boot_files=big, proc_cmdline=f"run {i}"))
"""


def test_killing_a_writer_never_leaves_a_torn_entry(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    rng = random.Random(6)
    for _ in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(cache_dir), str(Path(__file__).parent)],
            stdout=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        cache = Cache(cache_dir)
        for n in range(5):
            path = cache.path_for(f"host-{n}")
            if path.exists():
                data = json.loads(path.read_text())  # never torn
                entry = cache.load(f"host-{n}")
                assert entry is not None and entry.facts is not None, data
                assert entry.facts.proc_cmdline.startswith("run ")
    assert any(cache_dir.glob("*.json"))
    # temporaries a killed writer may leave never look like entries and can be cleaned
    cache = Cache(cache_dir)
    assert all(p.name.startswith(".") for p in cache_dir.iterdir() if not p.name.endswith(".json"))
    cache.clean_temporaries(older_than=0)
    assert all(p.name.endswith(".json") for p in cache_dir.iterdir())
