"""``memmap-lint verify`` end to end on the recorded boots: the cache as ``collect`` leaves it,
every report format, the exit statuses of ``lint``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from memmap_lint.collect.cache import Cache
from postboot_boot import SCENARIOS, console_facts

FIXTURES = Path(__file__).parent.parent / "fixtures" / "postboot"


def _verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "verify", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An inventory of one host per recorded boot, its facts in the cache."""
    root = tmp_path_factory.mktemp("fleet")
    (root / "inventory.yaml").write_text(
        "all:\n  hosts:\n"
        + "".join(
            f"    {n}: {{hardware: {{product: Standard PC (i440FX + PIIX, 1996)}}}}\n"
            for n in SCENARIOS
        )
        + "    never-collected: {}\n",
        encoding="utf-8",
    )
    cache = Cache(root / "cache")
    for name in SCENARIOS:
        cache.record(name, console_facts((FIXTURES / f"{name}.console").read_text()))
    return root


def _run(fleet: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _verify(
        str(fleet / "inventory.yaml"),
        "--collect",
        "never",
        "--cache-dir",
        str(fleet / "cache"),
        *args,
    )


def test_good_boot_is_clean(fleet: Path) -> None:
    done = _run(fleet, "--hosts", "good")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "MM708" in done.stdout and "landed at" in done.stdout


@pytest.mark.parametrize(
    ("host", "code"),
    [
        ("typo", "MM703"),
        ("too-large", "MM701"),
        ("duplicate", "MM701"),
        ("trace-typo", "MM704"),
        ("no-pstore-mount", "MM705"),
    ],
)
def test_broken_boot_has_its_finding(fleet: Path, host: str, code: str) -> None:
    done = _run(fleet, "--hosts", host)
    assert done.returncode == 1, done.stdout + done.stderr
    assert code in done.stdout


def test_findings_point_at_proc_cmdline(fleet: Path) -> None:
    done = _run(fleet, "--hosts", "too-large")
    assert "too-large:/proc/cmdline:1:38" in done.stdout


def test_json_keeps_predicted_and_real_addresses_per_profile(fleet: Path) -> None:
    done = _run(fleet, "--format", "json", "--hosts", "good,duplicate,no-pstore-mount")
    report = json.loads(done.stdout)
    assert report["schema"] == "memmap-lint/report/v1"
    profiles = report["verify"]
    oops = [
        r for p in profiles for r in p["regions"] if r["name"] == "oops" and r["size"] == 12 << 20
    ]
    assert oops and all(r["approximate"] for r in oops)
    starts = {a["start"] for r in oops for a in r["actual"]}
    assert starts == {0x3DE00000}  # the same address on every boot of this machine and kernel
    assert all(a["distance"] == 0x3DE00000 - r["predicted"] for r in oops for a in r["actual"])


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "html"])
def test_every_format(fleet: Path, fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"report.{fmt}"
    done = _run(fleet, "--format", fmt, "--output", str(out))
    assert done.returncode == 1, done.stderr
    assert "MM701" in out.read_text()


def test_nothing_collected_is_not_clean(fleet: Path) -> None:
    done = _run(fleet, "--hosts", "never-collected")
    assert done.returncode == 2  # the tool could not do its job
    assert "MM706" in done.stdout and "no facts were collected" in done.stdout
    done = _run(fleet, "--hosts", "good,never-collected")
    assert done.returncode == 1 and "MM706" in done.stdout
