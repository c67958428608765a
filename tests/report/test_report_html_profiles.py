"""The HTML report reads like the inventory: a hardware profile is headed by the product and BIOS
its hosts declare (the firmware map's digest only in the tooltip), and each map's address ticks
sit only at boundaries of that map, not at those of the other maps sharing its scale."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from memmap_lint.kernel.e820 import Entry
from memmap_lint.report import html_map

ROOT = Path(__file__).resolve().parent.parent.parent


def test_profiles_are_named_by_product_and_bios(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    p = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "inventory/prod.yaml", "--format", "html",
         "--output", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert p.returncode == 1, p.stderr
    heads = re.findall(r'<h3 title="([^"]*)">([^<]*)<small>', out.read_text())
    titles = {title.strip() for _, title in heads}
    assert "PowerEdge R7625, BIOS 1.6.6" in titles
    assert "Virtual Machine, BIOS Hyper-V UEFI Release v4.1" in titles
    for tooltip, title in heads:
        assert re.fullmatch(r"firmware map digest [0-9a-f]{64}", tooltip)
        assert not re.search(r"[0-9a-f]{12}", title), title  # the hash is not the name
    # a profile whose hosts name no hardware is named by its first host
    assert any(t.endswith("'s hardware (no product given)") for t in {
        t.replace("&#x27;", "'") for t in titles})  # fmt: skip


def _ticks(svg: str) -> set[int]:
    return {int(a, 16) for a in re.findall(r'class="ax"[^>]*>(0x[0-9a-f]+)<', svg)}


def test_ticks_mark_only_the_boundaries_of_their_own_map() -> None:
    gib = 1 << 30
    firmware = html_map.View("firmware", (Entry(0, 4 * gib, 1), Entry(4 * gib, 4 * gib, 2)))
    after = html_map.View(
        "after", (Entry(0, 3 * gib, 1), Entry(3 * gib, gib, 2), Entry(4 * gib, 4 * gib, 2))
    )
    scale = html_map.Scale([firmware, after])
    assert 3 * gib in scale.bounds  # the shared scale has the second map's boundary...
    left, right = (
        _ticks(html_map.draw(firmware, scale, "a")),
        _ticks(html_map.draw(after, scale, "b")),
    )
    assert 3 * gib not in left  # ...which marks nothing on the firmware map
    assert 3 * gib in right
    assert left <= html_map.boundaries(firmware) and right <= html_map.boundaries(after)
