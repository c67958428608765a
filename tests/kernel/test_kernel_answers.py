"""Replay every recorded real-kernel boot through the simulator, entry for entry.

Expectations come from the kernels themselves: tests/fixtures/kernel-answers/ holds boots of
Debian's 6.1.0-56 (stock), 6.12.117 (mainline) and a 6.1.192 carrying the RFC wildcard patch
(rfc), each with the kernel's own "user-defined physical RAM map" or its panic.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kernel_answers import answers, read_answer
from memmap_lint.kernel.e820 import type_name
from memmap_lint.kernel.model import PLACED, SHADOWED
from memmap_lint.kernel.simulate import simulate


def _printed(entries):  # type: ignore[no-untyped-def]
    return [(e.start, e.size, type_name(e.type)) for e in entries]


def _check(path: Path, dialect: str) -> None:
    ans = read_answer(path)
    sim = simulate(ans.firmware, ans.cmdline, dialect, ans.setup_data)
    if ans.panic:
        assert sim.panic is not None, f"kernel panicked ({ans.panic}), simulator did not"
        assert ans.panic in sim.panic
        return
    assert sim.panic is None, f"simulator panicked ({sim.panic}), kernel did not"
    assert ans.table is not None
    assert _printed(sim.table) == _printed(ans.table)


@pytest.mark.parametrize("path", answers("stock-6.1"), ids=lambda p: p.stem)
def test_stock_6_1(path: Path) -> None:
    _check(path, "stock")


@pytest.mark.parametrize("path", answers("mainline-6.12"), ids=lambda p: p.stem)
def test_mainline_6_12(path: Path) -> None:
    _check(path, "mainline")


@pytest.mark.parametrize("path", answers("rfc-6.1"), ids=lambda p: p.stem)
def test_rfc_6_1(path: Path) -> None:
    _check(path, "rfc")
    ans = read_answer(path)
    if ans.panic:
        return
    sim = simulate(ans.firmware, ans.cmdline, "rfc", ans.setup_data)
    # The kernel's name table, in order: every region the RFC recorded a name for.
    recorded = [(r.name, r.start, r.size) for r in sim.regions if r.status in (PLACED, SHADOWED)]
    assert recorded == list(ans.names)
    if ans.names_count is not None:
        assert len(recorded) == ans.names_count
