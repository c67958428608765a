"""kernel/names.py: what the RFC's and reserve_mem's name tables do with every named request.

The tables are the simulator's own (it fills them while placing regions); these tests pin their
answers with and without a memory map, and check the with-map answers against every recorded
boot's simulation.
"""

from __future__ import annotations

import sys
from pathlib import Path

from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.e820 import Entry
from memmap_lint.kernel.model import INVALID, NO_FIT, PLACED, SHADOWED, UNNAMED, UNSUPPORTED
from memmap_lint.kernel.names import (
    FAILED,
    NAMED,
    REJECTED,
    Request,
    mentions,
    name_tails,
    named,
    requests,
)
from memmap_lint.kernel.params import kernel_items
from memmap_lint.kernel.release import kernel_for
from memmap_lint.kernel.simulate import simulate

sys.path.insert(0, str(Path(__file__).parent.parent))
from kernel_answers import answers, read_answer

RFC = kernel_for("6.1.0-rfc", ["memmap-wildcard"])
MAINLINE = kernel_for("6.12.0-1-amd64")
STOCK = kernel_for("6.1.0-28-amd64")


def _fates(text: str, kernel: object) -> list[tuple[str | None, str]]:
    return [(r.name, r.fate) for r in requests(parse(text), kernel)]  # type: ignore[arg-type]


def test_rfc_first_match_wins_and_the_second_is_shadowed() -> None:
    reqs = requests(parse("memmap=1M*4K:a,2M*4K:a,0*4K:a"), RFC)
    assert [r.fate for r in reqs] == [NAMED, "shadowed", NAMED]  # a 0-size entry shadows nothing
    assert reqs[1].first is reqs[0]


def test_rfc_table_full_after_eight_names_only_for_acceptable_names() -> None:
    text = "memmap=" + ",".join(f"1M*4K:n{i}" for i in range(9)) + ",1M*4K:"
    reqs = requests(parse(text), RFC)
    assert [r.fate for r in reqs[:8]] == [NAMED] * 8
    assert (reqs[8].fate, reqs[8].full) == ("unnamed", True)
    # e820_add_mmap() refuses an empty name before it looks at the count.
    assert (reqs[9].fate, reqs[9].full, reqs[9].why) == ("unnamed", False, "the name is empty")


def test_rfc_no_name_is_invalid_and_other_dialects_read_no_wildcard() -> None:
    assert _fates("memmap=1M*4K", RFC) == [(None, INVALID)]
    assert _fates("memmap=1M*4K:a", STOCK) == []
    assert _fates("memmap=1M*4K:a", MAINLINE) == []


def test_reserve_mem_checks_in_the_kernels_order() -> None:
    # mm/memblock.c reserve_mem() (6.12): the count first, then the syntax, then the name.
    text = " ".join(f"reserve_mem=1M:4K:n{i}" for i in range(8))
    reqs = requests(parse(text + " reserve_mem=1M:4K:n0 reserve_mem=0:4K:x"), MAINLINE)
    assert [r.fate for r in reqs[:8]] == [NAMED] * 8
    assert (reqs[8].fate, reqs[8].full, reqs[8].first) == (REJECTED, True, None)
    assert (reqs[9].fate, reqs[9].full) == (REJECTED, True)
    reqs = requests(parse("reserve_mem=1M:4K:a reserve_mem=2M:4K:a reserve_mem=1M:a"), MAINLINE)
    assert [r.fate for r in reqs] == [NAMED, REJECTED, INVALID]
    assert reqs[1].first is reqs[0] and not reqs[1].full
    assert "-EBUSY" in reqs[1].why


def test_name_faults_per_table() -> None:
    line = parse('memmap=1M*4K:abcdefghijklmnop "reserve_mem=1M:4K: " reserve_mem=1M:4K:')
    rfc = [r.faults for r in named(line, RFC)]
    assert rfc == [frozenset({"too-long"})]
    mainline = [r.faults for r in named(line, MAINLINE)]
    assert mainline == [frozenset({"blank"}), frozenset({"empty"})]
    # The RFC records a name of spaces; reserve_mem wants a visible character.
    assert named(parse("memmap=1M*4K:\xa0"), RFC)[0].faults == frozenset()


def test_with_a_map_a_failed_search_takes_no_name() -> None:
    firmware = [Entry(0, 0x9FC00, 1), Entry(0x100000, 0x3FF00000, 1)]
    for kernel, text in (
        (RFC, "memmap=2G*4K:a,1M*4K:a"),
        (MAINLINE, "reserve_mem=2G:4K:a reserve_mem=1M:4K:a"),
    ):
        line = parse(text)
        sim = simulate(firmware, line, kernel)
        assert [r.fate for r in requests(line, kernel, sim)] == [FAILED, NAMED]
        # Without the map the search is assumed to succeed: the second request is the duplicate.
        assert [r.fate for r in requests(line, kernel)][1] != NAMED


def test_name_tails_are_the_pieces_a_comma_cut_from_a_name() -> None:
    param = parse("memmap=1M*4K:a,b,c,2M*4K:d,exactmap,x").params[0]
    pieces = kernel_items(param, RFC)
    assert {p.text for p in pieces if p.offset in name_tails(RFC, pieces)} == {"b", "c"}
    assert name_tails(STOCK, kernel_items(param, STOCK)) == set()


def test_mentions_cover_every_part_of_the_line() -> None:
    found = mentions(
        parse("reserve_mem=1M:4K:a memmap=1M*4K:b reserve_mem=1M:c -- reserve_mem=1M:4K:d")
    )
    assert [(m.name, m.where, m.loose, m.valid) for m in found] == [
        ("a", "params", False, True),
        ("b", "params", False, True),
        ("c", "params", True, False),  # rejected before a name is read: the text after ':'
        ("d", "init", False, True),
    ]


_STATUS = {NAMED: {PLACED}, "shadowed": {SHADOWED}, "unnamed": {UNNAMED}, FAILED: {NO_FIT}}


def test_with_a_map_the_fates_are_the_simulations() -> None:
    """On every recorded RFC boot that did not panic, each request's fate is its region's status
    (the recorded mainline boots carry no reserve_mem=)."""
    kernel = RFC
    checked = 0
    for path in answers("rfc-6.1"):
        answer = read_answer(path)
        line = parse(answer.cmdline)
        sim = simulate(answer.firmware, line, kernel, answer.setup_data)
        if sim.panic:
            continue
        reqs: list[Request] = requests(line, kernel, sim)
        regions = [r for r in sim.regions if r.status != UNSUPPORTED]
        assert len(reqs) == len(regions), path.name
        for req, region in zip(reqs, regions, strict=True):
            assert (req.param, req.offset, req.name) == (region.param, region.offset, region.name)
            assert region.status in _STATUS.get(req.fate, {INVALID}), (path.name, req)
            checked += 1
    assert checked > 50
