"""Learned reserve_mem addresses: what verify saw on a recorded 6.12 boot (postboot fixtures,
made by tests/postboot_boot.py) is what lint then says for the same profile, release and requests.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from memmap_lint.collect.run import Outcome
from memmap_lint.engine.hostinput import CaptureCache, HostInput, build
from memmap_lint.engine.inventory_input import sources_of
from memmap_lint.engine.learned import learned_addresses
from memmap_lint.engine.lint_collected import with_collected
from memmap_lint.inventory.load import load_inventory
from memmap_lint.kernel.simulate import Options, Simulation, simulate
from postboot_boot import console_facts

RECORDED = Path(__file__).parent.parent / "fixtures" / "postboot"
NOW = datetime(2026, 12, 2, 21, 0, tzinfo=timezone.utc)
OOPS, TRACE = 0x3DE00000, 0x3D600000  # ramoops mem_address, trace instance mapped there


def _linted(tmp_path: Path, host_vars: str) -> tuple[HostInput, Simulation]:
    facts = console_facts((RECORDED / "good.console").read_text())
    inv = tmp_path / "inv.yaml"
    inv.write_text(f"all:\n  hosts:\n    vm1: {{{host_vars}}}\n")
    host = load_inventory(inv).hosts["vm1"]
    done = Outcome("vm1", facts, facts, 60.0, "ssh", (), tmp_path / "vm1.json", 86400.0)
    inp = build(with_collected(sources_of(host, CaptureCache()), done, NOW))
    assert inp.capture is not None
    options = Options(facts=inp.capture.boot_facts(inp.kernel.release))
    sim = simulate(inp.capture.entries, inp.cmdline, inp.kernel, inp.capture.setup_data, options)
    return inp, sim


def test_verify_evidence_gives_each_region_with_its_requests() -> None:
    facts = console_facts((RECORDED / "good.console").read_text())
    learned = learned_addresses(facts, "vm1")
    assert [(x.requests, x.start) for x in learned] == [
        (((12 << 20, 4096),), OOPS),
        (((12 << 20, 4096), (8 << 20, 4096)), TRACE),
    ]
    too_large = console_facts((RECORDED / "too-large.console").read_text())
    # the refused 2G request stays in the requests: a boot without it would not land there
    assert [x.requests for x in learned_addresses(too_large, "vm1")] == [
        ((2 << 30, 4096), (8 << 20, 4096))
    ]


def test_lint_uses_the_learned_address_for_the_same_release(tmp_path: Path) -> None:
    _, sim = _linted(tmp_path, "")
    oops, trace = sim.regions[0], sim.regions[1]
    assert (oops.start, trace.start) == (OOPS, TRACE)
    assert not oops.approximate and not trace.approximate
    assert "learned" in oops.note and "vm1" in oops.note and "2026-12-02T20:16:00Z" in oops.note


def test_another_release_stays_approximate(tmp_path: Path) -> None:
    _, sim = _linted(tmp_path, "kernel: 6.12.99-amd64")
    assert sim.regions[0].approximate and "learned" not in sim.regions[0].note


def test_other_requests_stay_approximate(tmp_path: Path) -> None:
    line = "nokaslr reserve_mem=16M:4096:oops ramoops.mem_name=oops"
    _, sim = _linted(tmp_path, f'kernel_cmdline: "{line}"')
    assert sim.regions[0].approximate


def test_another_host_of_the_profile_learns_it(tmp_path: Path) -> None:
    """vm2 (same firmware map and release, no post-boot facts of its own) gets vm1's address."""
    from dataclasses import replace

    from memmap_lint.engine.lint_collected import fleet_learned

    facts = console_facts((RECORDED / "good.console").read_text())
    blind = replace(facts, postboot=None)
    inv = tmp_path / "inv.yaml"
    inv.write_text("all:\n  hosts:\n    vm1: {}\n    vm2: {}\n")
    hosts = load_inventory(inv).hosts
    outcomes = {
        n: Outcome(n, f, f, 60.0, "ssh", (), tmp_path / f"{n}.json", 86400.0)
        for n, f in (("vm1", facts), ("vm2", blind))
    }
    learned = fleet_learned(outcomes, NOW)
    assert [x.host for x in next(iter(learned.values()))] == ["vm1", "vm1"]
    inp = build(
        with_collected(sources_of(hosts["vm2"], CaptureCache()), outcomes["vm2"], NOW, learned)
    )
    assert inp.capture is not None
    options = Options(facts=inp.capture.boot_facts(inp.kernel.release))
    sim = simulate(inp.capture.entries, inp.cmdline, inp.kernel, inp.capture.setup_data, options)
    assert sim.regions[0].start == OOPS and "on vm1" in sim.regions[0].note
    alone = build(with_collected(sources_of(hosts["vm2"], CaptureCache()), outcomes["vm2"], NOW))
    assert alone.capture is not None and alone.capture.learned == ()
