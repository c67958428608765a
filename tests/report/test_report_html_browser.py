"""The HTML report in a real browser: Debian's chromium, headless, loads the page from a file
(as a mail attachment would open), runs its script, and renders it. The test reads the DOM the
browser built (--dump-dom), its console log, and checks the screenshot is a real picture.

Needs chromium (.ci/install-chromium.sh); marker `browser`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

FIX = Path(__file__).parent.parent / "fixtures"
FLEET = FIX / "report" / "fleet.yaml"
HOSTILE = "<script>alert(1)</script>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: run .ci/install-chromium.sh")
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *extra,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root: dict[str, str | None] = {}
        self.text: list[str] = []
        self.svgs = 0
        self.shown_rows = 0
        self.count = ""
        self._in_count = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.root = a
        if tag == "svg":
            self.svgs += 1
        if tag == "tr" and "data-code" in a and "hidden" not in a:
            self.shown_rows += 1
        self._in_count = a.get("id") == "f-count"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_count:
            self.count += data


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "fleet report.html"
    p = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", str(FLEET), "--format", "html",
         "--output", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert p.returncode == 1, p.stderr
    return out


def test_chromium_runs_the_script_and_renders_the_maps(report: Path, tmp_path: Path) -> None:
    p = _chromium(report, tmp_path / "profile", "--dump-dom")
    assert p.returncode == 0, p.stderr[-2000:]
    dom = _Dom()
    dom.feed(p.stdout)
    # The report's script ran to its end (it sets the marker last) without a console error.
    assert dom.root.get("data-report-ready") == "1", p.stderr[-2000:]
    errors = [ln for ln in p.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert errors == []
    text = "".join(dom.text)
    for host in ("db-01", "db-02", "cache-01", "cache-02", "web-01", "old-01", "ok-01"):
        assert host in text
    assert HOSTILE in text  # rendered as text, never run (the only script set the marker)
    assert dom.svgs == 11
    for label in ("⚠ oops · 12 MiB @ 0x407dcc0000", "⇅ oops · 12 MiB @ 0xfff400000", "✖ huge"):
        assert label in text
    assert "Firmware map" in text and "After the command line" in text
    # The filter counter is written by the script: every finding shown at first.
    assert dom.count == f"{dom.shown_rows} of {dom.shown_rows} finding(s) shown"
    # as many rows as the run has findings (the JSON report's count, the text report's total)
    p = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", str(FLEET), "--format", "json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert dom.shown_rows == len(json.loads(p.stdout)["findings"]) > 0


def test_chromium_screenshot(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    p = _chromium(
        report,
        tmp_path / "profile",
        "--hide-scrollbars",
        "--window-size=1400,3000",
        f"--screenshot={shot}",
    )
    assert p.returncode == 0, p.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (1400, 3000)
    assert len(data) > 100_000  # a page full of tables and maps, not a blank one
