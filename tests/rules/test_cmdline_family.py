"""MM1xx/MM2xx rules against real kernel boots, against the simulator, and under fuzzing.

The recorded boots (tests/fixtures/kernel-answers, see its README) are real kernels' answers:
every boot that panicked with "Invalid user supplied memory map" must make MM110 fire and no other
boot may, and the RFC kernel's printed name table must be what kernel/names.py predicts.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memmap_lint.engine.registry import load_rules
from memmap_lint.engine.runner import Engine
from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.names import rfc_requests
from memmap_lint.kernel.release import kernel_for
from memmap_lint.kernel.simulate import simulate
from memmap_lint.rule import HostContext

sys.path.insert(0, str(Path(__file__).parent.parent))
from kernel_answers import answers, read_answer

FIXTURES = Path(__file__).parent.parent / "fixtures"
FAMILY = [r for r in load_rules(entry_points_too=False) if r.code[:3] in ("MM1", "MM2")]
BY_CODE = {r.code: r for r in FAMILY}
STOCK = kernel_for("6.1.0-28-amd64")
RFC = kernel_for("6.1.0-rfc", ["memmap-wildcard"])
MAINLINE = kernel_for("6.12.0-1-amd64")


def _findings(code: str, text: str, kernel: Any, sim: Any = None) -> list[Any]:
    line = parse(text)
    return Engine([BY_CODE[code]]).check_host(HostContext("h", line, kernel, sim))


def _kind(path: Path) -> Any:
    return {"stock-6.1": STOCK, "rfc-6.1": RFC, "mainline-6.12": MAINLINE}[path.parent.name]


ALL = [p for kind in ("stock-6.1", "rfc-6.1", "mainline-6.12") for p in answers(kind)]


def test_the_recorded_boots_are_there() -> None:
    assert len(ALL) > 1000
    assert sum(read_answer(p).panic is not None for p in ALL) >= 40


@pytest.mark.parametrize("with_map", [True, False], ids=["simulated", "command-line-only"])
def test_mm110_fires_exactly_on_the_boots_that_panicked(with_map: bool) -> None:
    """Real boots: "Invalid user supplied memory map" <=> MM110 (arch/x86/kernel/e820.c e820__finish_early_params())."""
    wrong = []
    for path in ALL:
        answer = read_answer(path)
        kernel = _kind(path)
        sim = None
        if with_map:
            sim = simulate(answer.firmware, answer.cmdline, kernel, answer.setup_data)
        fired = bool(_findings("MM110", answer.cmdline, kernel, sim))
        if fired != (answer.panic is not None):
            wrong.append((path.name, answer.panic))
    if with_map:
        assert not wrong
    else:
        # Without the map, an exactmap whose entries a later '%' may split is left out, and an
        # RFC wildcard that wraps needs the map; nothing else may differ.
        assert all(panic is not None for _, panic in wrong), wrong


def test_rfc_name_table_matches_the_real_kernel() -> None:
    """The RFC kernel printed its name table (memmap_named: lines) after every recorded boot."""
    checked = 0
    for path in answers("rfc-6.1"):
        answer = read_answer(path)
        if answer.names_count is None:
            continue
        line = parse(answer.cmdline)
        sim = simulate(answer.firmware, line, RFC, answer.setup_data)
        recorded = [r for r in rfc_requests(line, sim) if r.fate in ("named", "shadowed")]
        assert [r.name for r in recorded] == [n for n, _, _ in answer.names], path.name
        assert len(recorded) == answer.names_count, path.name
        checked += 1
    assert checked > 50


_piece = st.one_of(
    st.from_regex(r"\A(0x[0-9a-fA-F]{1,17}|0?[0-9]{1,21})[KMGTPEkmgtpe]?[iB.5]{0,2}\Z"),
    st.sampled_from(["", "exactmap", "$1G", "K$1G", "4G2G", "4GG", "oops", "trace", "-1"]),
)
_form = st.sampled_from(["", "$", "@", "#", "!", "%", "*", ":", ";", "x"])


@st.composite
def _memmap_piece(draw: st.DrawFn) -> str:
    size, form, start = draw(_piece), draw(_form), draw(_piece)
    if form == "%":
        return f"{size}%{start}{draw(st.sampled_from(['', '-1', '-2+2', '+12', '-0x100000001+1', '-1+2K']))}"
    if form == "*":
        return f"{size}*{start}{draw(st.sampled_from(['', ':oops', ':', ':a,b']))}"
    return f"{size}{form}{start}" if form else size


_PIECE_OWNERS = ("MM101", "MM102", "MM103", "MM109", "MM205", "MM105", "MM110")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_memmap_piece(), min_size=1, max_size=4), st.sampled_from([STOCK, RFC, MAINLINE]))
def test_each_piece_has_one_owner_among_limit_and_comma_rules(
    pieces: list[str], kernel: Any
) -> None:
    """Ownership (rules/_cmdline_common.py): MM109, MM205, MM105 own their pieces alone; MM110's
    pieces (BUG, wrap) are not reported again as misread numbers."""
    text = "memmap=" + ",".join(pieces)
    line = parse(text)
    hits = Engine(FAMILY).check_host(HostContext("h", line, kernel, None))
    by_piece: dict[str, set[str]] = {}
    for f in hits:
        if f.code in _PIECE_OWNERS and f.param.startswith("memmap=") and f.param != text:
            by_piece.setdefault(f.param, set()).add(f.code)
    for piece, codes in by_piece.items():
        for sole in ("MM109", "MM205", "MM105"):
            if sole in codes:
                assert codes == {sole}, (text, piece, codes)
        if "MM110" in codes:
            assert "MM102" not in codes, (text, piece, codes)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.sampled_from(list('memap=reserv_k:,$@#!%*-+"0x1248GMKBiE. \t')), max_size=80
    ),
    st.sampled_from([STOCK, RFC, MAINLINE]),
    st.booleans(),
)
def test_any_command_line_gives_clean_findings(
    text: str, kernel: Any, with_boot_image: bool
) -> None:
    line = parse(text)
    facts = {"boot_image": "/vmlinuz"} if with_boot_image else {}
    hits = Engine(FAMILY).check_host(HostContext("h", line, kernel, None, facts=facts))
    for f in hits:
        assert f.message and f.severity in ("error", "warning", "info")
        assert f.code in BY_CODE


def test_every_family_rule_runs_without_hardware() -> None:
    assert all(not r.needs_e820 for r in FAMILY)
    assert len(FAMILY) == 16
