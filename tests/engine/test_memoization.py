"""Cost grows with distinct hardware, not with host count (issue 4 item 4)."""

from __future__ import annotations

from pathlib import Path

from memmap_lint.engine.config import Config
from memmap_lint.engine.lint import Linter
from memmap_lint.engine.pipeline import Options, run
from memmap_lint.engine.registry import load_rules

E820 = Path(__file__).parent.parent / "fixtures" / "e820"


def test_10000_hosts_over_20_profiles_simulate_20_times(tmp_path: Path) -> None:
    captures = sorted(p for p in E820.glob("*.txt"))[:20]
    assert len(captures) == 20
    lines = ["all:", "  vars:", "    kernel: 6.12.0-1-amd64",
             '    kernel_cmdline: "ro reserve_mem=12M:4096:oops ramoops.mem_name=oops"',
             "  hosts:"]
    for i in range(10_000):
        lines.append(f"    host-{i:05d}: {{e820: {captures[i % 20]}}}")
    inv_path = tmp_path / "fleet.yaml"
    inv_path.write_text("\n".join(lines) + "\n")
    linter = Linter(load_rules(entry_points_too=False), Config())
    done = run([str(inv_path)], Options(entry_points=False), linter=linter)
    assert not done.errors
    assert len(done.results) == 10_000
    assert linter.simulations == 20
    assert linter.engine.checks_run == 20
    assert len(linter.captures.loaded) == 20
