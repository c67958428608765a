"""A real kernel as the judge: boot Debian's kernels under QEMU and compare with the simulator.

Each case rebuilds a real map inside the kernel (``memmap=exactmap`` plus one item per entry,
tests/kernel_boot.py), appends a command line, and compares the kernel's "user-defined physical
RAM map" (or its panic) with ``simulate()`` of the same boot, entry for entry. The simulator gets
QEMU's own ``BIOS-e820`` table from the boot log and the whole command line, exactmap included:
exactmap only zeroes the entry count, so QEMU's entries stay in the slots past the end.

Kernels (.ci/install-qemu.sh): Debian's 6.1 (the stock dialect) and 6.12 (mainline). The
expectation of every case is the kernel's own output; a disagreement is a simulator bug until
shown otherwise. Boots run two at a time (one TCG core each), before the tests that read them.
"""

from __future__ import annotations

import itertools
import os
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from kernel_answers import answers, read_answer
from kernel_boot import (
    COMMAND_LINE_SIZE,
    PREFIX,
    KernelAnswer,
    boot_cmdline,
    boot_many,
    boot_until,
    command_line,
    exactmap_param,
    find_kernel,
    format_size,
    guest_memory,
    kernels_dir,
    minimal_dtb,
    parse_map,
    qemu,
)
from memmap_lint.captures.parse import load_capture, parse_capture
from memmap_lint.kernel.dialects.memblock import Memblock, add, subtract
from memmap_lint.kernel.e820 import RAM, Entry, sanitized, type_name
from memmap_lint.kernel.earlyboot import Facts
from memmap_lint.kernel.model import PLACED, Region
from memmap_lint.kernel.placement import largest
from memmap_lint.kernel.simulate import Options, simulate

pytestmark = pytest.mark.qemu

MAPS = Path(__file__).parent.parent / "fixtures" / "live" / "maps"
#: Kernel folder (.cache/kernels/NAME) -> the dialect its answers must match.
KERNELS = {"stock-6.1": "stock", "mainline-6.12": "mainline"}
#: Generated command lines per map (the same ones for each kernel); raise it for a longer hunt.
RANDOM_PER_MAP = int(os.environ.get("MEMMAP_LINT_LIVE_RANDOM", "20"))
#: Every n-th recorded answer is booted again (the harness must reproduce it exactly).
REPLAY_EVERY = 8
MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Case:
    """One boot: a kernel, a fixture map (None: a recorded answer's own command line), params."""

    kernel: str
    map: str | None
    params: str

    @property
    def id(self) -> str:
        return f"{self.kernel}|{self.map or 'replay'}|{self.params}"


def read_map(name: str) -> tuple[Entry, ...]:
    """The map of a fixture: its ``user:`` block if it has one, else its ``BIOS-e820`` lines."""
    text = (MAPS / name).read_text()
    return parse_map(text, "user") or parse_map(text, "BIOS-e820")


def _anchors(entries: Sequence[Entry]) -> dict[str, int]:
    """Addresses of a map that make the command lines below interesting on it."""
    table = [(a, s, t) for a, s, t in sanitized([(e.start, e.size, e.type) for e in entries])]
    ram = [(a, s) for a, s, t in table if t == RAM]
    big_start, big_size = max(ram, key=lambda r: r[1])
    mid = (big_start + big_size // 2) & ~(2 * MiB - 1)
    # The end of a RAM entry that a non-RAM entry follows directly: ranges across it.
    edge = big_start + big_size
    for (a, s, t), (b, _, u) in itertools.pairwise(table):
        if t == RAM and u != RAM and b == a + s and s >= 64 * MiB:
            edge = a + s
            break
    # A hole below 4 GiB of at least 16 MiB (or the first GiB boundary past the map).
    hole = (table[-1][0] + table[-1][1] + GiB - 1) & ~(GiB - 1)
    for (a, s, _), (b, _, _) in itertools.pairwise(table):
        gap = ((a + s + MiB - 1) & ~(MiB - 1), b)
        if gap[1] - gap[0] >= 16 * MiB and gap[1] <= 4 * GiB:
            hole = gap[0]
            break
    top = max(a + s for a, s in ram)
    return {
        "A": mid,
        "A2": mid + 64 * MiB,
        "A3": mid + 128 * MiB,
        "E": edge - 32 * MiB,
        "H": hole,
        "T": top,
        "T1": top - GiB,
    }


#: Hand-written command lines: every memmap= form and the ways people get them wrong. Fields are
#: anchors of the map (hex), ``s`` the same in memparse suffix form.
TEMPLATES = [
    "",
    # add forms
    "memmap=16M@{H:#x}",
    "memmap=16M${A:#x}",
    "memmap=16M#{A:#x}",
    "memmap=16M!{A:#x}",
    "memmap=16M${sA}",
    "memmap=64M${E:#x}",
    "memmap=64M!{E:#x}",
    "memmap=0${A:#x}",
    "memmap=16M${A:#x} memmap=8M!{A:#x}",
    # % with -old+new, +new only, -old only, neither
    "memmap=16M%{A:#x}-1+2",
    "memmap=64M%{E:#x}-1+12",
    "memmap=64M%{E:#x}-2+1",
    "memmap=64M%{E:#x}-1+4",
    "memmap=16M%{A:#x}+4",
    "memmap=16M%{A:#x}+20",
    "memmap=16M%{A:#x}+128",
    "memmap=16M%{A:#x}+0xefffffff",
    "memmap=64M%{E:#x}-1",
    "memmap=64M%{E:#x}-2",
    "memmap=64M%{E:#x}",
    "memmap=16M%{A:#x}+0",
    "memmap=16M%{A:#x}-0+2",
    "memmap=16M%{A:#x}-1+1",
    "memmap=16M%{A:#x}-1+2junk",
    "memmap=16M%{A:#x}-1+0x0c",
    "memmap=16M%{A:#x}-1+014",
    # type numbers past 32 bits (enum e820_type keeps the low 32)
    "memmap=16M%{A:#x}+4294967298",
    "memmap=16M%{A:#x}+4294967296",
    "memmap=16M%{A:#x}-4294967297+12",
    # bare sizes and what a stock kernel reads as a limit
    "memmap=2G",
    "memmap={sT1}",
    "memmap=0",
    "memmap=12M*4096:oops",
    "memmap=1G*4096:oops ramoops.mem_name=oops",
    # typos
    "memmap=4GB$1G",
    "memmap=4G2G",
    "memmap=16M$",
    "memmap=16M\\$1G",
    "memmap=$1G",
    "memmap=16m${sA_lower}",
    "memmap=010M${A:#x}",
    "memmap=16M$-1",
    "memmap=16M ${A:#x}",
    # mem=
    "mem=1G",
    "mem={T1:#x}",
    "mem=0",
    "mem=",
    "mem=nopentium",
    "mem=512M mem=3G",
    "mem=4G,1G",
    "mem=1G memmap=16M${A:#x}",
    "memmap=16M${A:#x} mem=1G",
    "mem=1G memmap=64M@{H:#x}",
    # commas
    "memmap=16M${A:#x},32M!{A2:#x},8M#{A3:#x}",
    "memmap=16M${A:#x},",
    "memmap=,16M${A:#x}",
    "memmap=16M${A:#x},,8M#{A3:#x}",
    "memmap=16M${A:#x},2G,8M#{A3:#x}",
    # exactmap again, and maps the kernel refuses
    "memmap=exactmap",
    "memmap=exactmap,1G@0",
    "memmap=exactmap,640K@0,1023M@1M",
    "memmap=exactmap memmap=640K@0 memmap=255M@1M memmap=1M$256M",
    "memmap=16M${A:#x} memmap=exactmap,2G@0,1M$2G",
    "memmap=exactmapfoo,640K@0,255M@1M",
    "memmap=8K$0xfffffffffffff000",
    "memmap=4K$0xfffffffffffff000",
    "memmap=16E@0",
    "memmap=17E${A:#x}",
    "memmap=0xffffffffffffffff%0x1000-1+2",
    "memmap=2G%0xffffffff80000000-2",
    # quoting, --, whitespace
    '"memmap=16M${A:#x}"',
    'memmap="16M${A:#x}"',
    'memmap="16M${A:#x},8M#{A3:#x}"',
    '"memmap=16M${A:#x} mem=1G"',
    'memmap=16M${A:#x} "',
    "-- memmap=16M${A:#x}",
    "memmap=16M${A:#x} -- mem=1G",
    "memmap=16M${A:#x}\tmem=1G",
    # mainline's reserve_mem= does not touch the e820 table
    "reserve_mem=16M:4096:oops",
    "memmap=16M${A:#x} reserve_mem=16M:4096:oops",
]

_TYPES = [0, 1, 1, 2, 2, 3, 4, 5, 7, 12, 12, 20, 128, 0xEFFFFFFF, 4294967298]


def _number(rng: random.Random, value: int) -> str:
    """``value`` written as people write it: suffix, hex or decimal."""
    styles = ["hex", "dec"]
    if value and format_size(value)[-1:].isalpha():
        styles += ["suffix", "suffix"]
    style = rng.choice(styles)
    if style == "suffix":
        return format_size(value)
    return f"{value:#x}" if style == "hex" else str(value)


def _random_params(rng: random.Random, entries: Sequence[Entry]) -> str:
    """A command line of one to three memory parameters aimed at the map's boundaries."""
    points = sorted({0, MiB, 4 * GiB} | {e.start for e in entries} | {e.end for e in entries})
    deltas = [0, 0, 0, -4096, 4096, -MiB, MiB, 0x123]

    def address() -> int:
        return max(0, rng.choice(points) + rng.choice(deltas))

    def size() -> int:
        a, b = sorted(rng.sample(points, 2))
        return rng.choice([4096, 64 << 10, MiB, 16 * MiB, 256 * MiB, GiB, 3 * GiB, 0x1234, b - a])

    def item() -> str:
        form = rng.choice(["@", "$", "#", "!", "%", "%", "%", "limit"])
        if form == "limit":
            return _number(rng, address())
        head = f"{_number(rng, size())}{form}{_number(rng, address())}"
        if form != "%":
            return head
        old, new = rng.choice(_TYPES), rng.choice(_TYPES)
        if old == new:
            new = 0
        return head + (f"-{old}" if rng.random() < 0.6 else "") + (f"+{new}" if new else "")

    params = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        if rng.random() < 0.15:
            params.append(f"mem={_number(rng, address())}")
        else:
            params.append("memmap=" + ",".join(item() for _ in range(rng.choice([1, 1, 2, 3]))))
    return " ".join(params)


def _cases() -> list[Case]:
    cases = []
    for name in sorted(p.name for p in MAPS.glob("*.txt")):
        entries = read_map(name)
        anchors = _anchors(entries)
        fields: dict[str, int | str] = dict(anchors)
        fields |= {f"s{k}": format_size(v) for k, v in anchors.items()}
        fields["sA_lower"] = format_size(anchors["A"]).lower()
        texts = [t.format(**fields) for t in TEMPLATES]
        rng = random.Random(f"live:{name}")
        texts += [_random_params(rng, entries) for _ in range(RANDOM_PER_MAP)]
        budget = COMMAND_LINE_SIZE - 1 - len(command_line(entries)) - 1
        for kernel in KERNELS:
            cases += [Case(kernel, name, t) for t in texts if len(t.encode()) <= budget]
    for kernel in KERNELS:
        recorded = answers(kernel)[::REPLAY_EVERY]
        cases += [Case(kernel, None, p.name) for p in recorded]
    return cases


CASES = _cases()


def _cmdline(case: Case) -> str:
    if case.map is None:
        return read_answer(_recorded(case)).cmdline
    return command_line(read_map(case.map), case.params)


def _recorded(case: Case) -> Path:
    return next(p for p in answers(case.kernel) if p.name == case.params)


def _unavailable(what: str) -> NoReturn:
    """Skip (fail on CI, where .ci/run installs everything) when a program or kernel is missing."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (.ci/install-qemu.sh should have installed it)")
    pytest.skip(f"{what}: run .ci/install-qemu.sh")


@pytest.fixture(scope="session")
def live(request: pytest.FixtureRequest) -> dict[Case, KernelAnswer]:
    """Boot every selected case once, two QEMUs at a time."""
    if qemu() is None:
        _unavailable("qemu-system-x86_64 is not installed")
    wanted: dict[str, list[Case]] = {}
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        case = callspec.params.get("case") if callspec else None
        if isinstance(case, Case):
            wanted.setdefault(case.kernel, []).append(case)
    results: dict[Case, KernelAnswer] = {}
    for name, cases in wanted.items():
        kernel = find_kernel(name)
        if kernel is None:
            continue
        booted = boot_many(kernel.image, [_cmdline(c) for c in cases], workers=2)
        results.update(zip(cases, booted, strict=True))
    return results


def _printed(entries: Sequence[Entry]) -> list[str]:
    return [e.describe() for e in entries]


def _explain(case: Case, ans: KernelAnswer, sim_table: list[str], sim_panic: str | None) -> str:
    kernel = "\n  ".join(_printed(ans.table or ())) or "(none)"
    simulated = "\n  ".join(sim_table) or "(none)"
    return (
        f"kernel {case.kernel} and the simulator disagree\n"
        f"command line: {ans.cmdline}\n"
        f"kernel panic: {ans.panic}\nkernel table:\n  {kernel}\n"
        f"simulator panic: {sim_panic}\nsimulator table:\n  {simulated}"
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_kernel_agrees(case: Case, live: dict[Case, KernelAnswer]) -> None:
    """The simulator's table (or panic) is the kernel's, entry for entry."""
    if case not in live:
        _unavailable(f"kernel {case.kernel} is not in {kernels_dir()}")
    ans = live[case]
    sent = _cmdline(case)
    assert not ans.timed_out, f"no answer within the timeout; log tail:\n{ans.log[-3000:]}"
    assert ans.cmdline == sent, "the kernel did not get the command line that was sent"
    assert ans.panic is not None or ans.table is not None, ans.log[-3000:]
    if case.map is None:
        # The harness reproduces the recorded boot exactly (same technique, same kernel).
        recorded = read_answer(_recorded(case))
        assert ans.firmware == recorded.firmware
        assert ans.panic == recorded.panic
        assert ans.table == recorded.table
        return
    sim = simulate(ans.firmware, sent, KERNELS[case.kernel])
    sim_table = _printed(sim.table)
    message = _explain(case, ans, sim_table, sim.panic)
    if ans.panic is not None:
        assert sim.panic is not None and ans.panic in sim.panic, message
    else:
        assert sim.panic is None, message
        assert _printed(ans.table or ()) == sim_table, message


def test_identity_rebuild_is_the_sanitized_map() -> None:
    """With nothing but the rebuild, the kernel prints the map sanitized (e820__update_table)."""
    kernel = find_kernel("stock-6.1")
    if qemu() is None or kernel is None:
        _unavailable("qemu-system-x86_64 or the stock-6.1 kernel is missing")
    names = sorted(p.name for p in MAPS.glob("*.txt"))
    maps = [read_map(n) for n in names]
    booted = boot_many(kernel.image, [command_line(m) for m in maps])
    for name, entries, ans in zip(names, maps, booted, strict=True):
        expected = [
            f"[mem {a:#018x}-{a + s - 1:#018x}] {type_name(t)}"
            for a, s, t in sanitized([(e.start, e.size, e.type) for e in entries])
        ]
        assert ans.table is not None, f"{name}: {ans.panic}"
        assert _printed(ans.table) == expected, name


def test_rebuild_items() -> None:
    """The rebuild writes each entry in the recorded answers' notation (the largest suffix)."""
    entries = [
        Entry(0, 639 << 10, RAM),
        Entry(0x100, 0x8EF00, 4),
        Entry(1 << 40, 514 * MiB, 2),
        Entry(4 * GiB, 4 * GiB, 12),
        Entry(0xB4D5F000, 0x5200000, 3),  # 82M at 2962812K
        Entry(0x9AEAB000, 0xD4000, 20),
    ]
    assert exactmap_param(entries) == (
        "memmap=exactmap,639K@0,585472%256+4,514M$1T,4G!4G,82M#2962812K,848K%2538156K+20"
    )


def test_guest_ram_does_not_change_the_answer() -> None:
    """QEMU's -m changes only its own BIOS-e820 table: exactmap drops it before the print."""
    kernel = find_kernel("stock-6.1")
    if qemu() is None or kernel is None:
        _unavailable("qemu-system-x86_64 or the stock-6.1 kernel is missing")
    entries = read_map("dell-poweredge-r7625-256g.txt")
    cmdline = command_line(entries, "memmap=16M$1G mem=100G")
    small, large = (boot_cmdline(kernel.image, cmdline, memory=m) for m in ("128M", "2G"))
    assert small.firmware != large.firmware
    assert small.table is not None
    assert small.table == large.table


# -- reserve_mem= at the edge, and the kernel image (issue 17) ---------------------------------

_MB_RESERVE = re.compile(r"memblock_reserve: \[(0x[0-9a-f]+)-(0x[0-9a-f]+)\]")
_MB_FREE = re.compile(r"memblock_(?:phys_)?free: \[(0x[0-9a-f]+)-(0x[0-9a-f]+)\]")
_MB_DUMP = re.compile(r"^\s*(memory|reserved)\[0x[0-9a-f]+\]\s+\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\]")
_RESERVE_MEM_ALLOC = "reserve_mem+"
_ACPI_TABLE = re.compile(r"ACPI: Reserving \w+ table memory at \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\]")


def _acpi_tables(log: str) -> tuple[tuple[int, int], ...]:
    """QEMU's own ACPI tables, which the kernel reserves wherever they are: on a rebuilt map
    they can lie in its RAM (a harness fact the model is told, as a host's log would)."""
    found = (_ACPI_TABLE.search(line) for line in log.splitlines())
    return tuple(
        (int(m.group(1), 16), int(m.group(2), 16) + 1 - int(m.group(1), 16)) for m in found if m
    )


PAGE = 4096
_PRINTK_PREFIX = re.compile(r"^.*?\[\s*\d+\.\d+\] ")


def _past_reserve_mem(state: dict[str, int]) -> Callable[[str], bool]:
    """Read until the line after reserve_mem's allocation request (or a panic)."""

    def until(line: str) -> bool:
        if state.get("seen"):
            return True
        if _RESERVE_MEM_ALLOC in line:
            state["seen"] = 1
        return "Kernel panic" in line

    return until


def _edge_params(size: int, extra: str = "") -> str:
    return f"{extra} memblock=debug reserve_mem={size}:4K:p".lstrip()


def _boot_reserve_mem(
    image: Path, entries: Sequence[Entry], size: int, extra: str = ""
) -> tuple[str, int | None]:
    """Boot with ``memblock=debug reserve_mem=SIZE:4K:p``: the log and where it was placed."""
    state: dict[str, int] = {}
    log = boot_until(
        image,
        command_line(entries, _edge_params(size, extra)),
        _past_reserve_mem(state),
        memory=guest_memory(entries),
    ).log
    lines = [_PRINTK_PREFIX.sub("", line) for line in log.splitlines()]
    at = next((i for i, line in enumerate(lines) if _RESERVE_MEM_ALLOC in line), None)
    assert at is not None, f"reserve_mem never ran; log tail:\n{log[-3000:]}"
    after = lines[at + 1] if at + 1 < len(lines) else ""
    placed = _MB_RESERVE.search(after)
    return log, int(placed.group(1), 16) if placed else None


def _kernel_largest(log: str) -> int:
    """The largest 4 KiB-aligned size memblock could give reserve_mem, from the memblock=debug
    log: the last dump's memory and reservations, then every reserve/free after it, in order
    (reservations made before memblock=debug was parsed appear only in the dumps)."""
    memory: list[tuple[int, int]] = []
    reserved: list[tuple[int, int]] = []
    dumping = False
    for raw in log.splitlines():
        line = _PRINTK_PREFIX.sub("", raw)
        if _RESERVE_MEM_ALLOC in line:
            break
        if line.startswith("MEMBLOCK configuration:"):
            memory, reserved, dumping = [], [], True
            continue
        dump = _MB_DUMP.match(line)
        if dump:
            span = (int(dump.group(2), 16), int(dump.group(3), 16) + 1)
            (memory if dump.group(1) == "memory" else reserved).append(span)
            continue
        if dumping and line.strip().startswith(("memory size", "memory.cnt", "reserved.cnt")):
            continue
        dumping = False
        if m := _MB_RESERVE.search(line):
            reserved = add(reserved, int(m.group(1), 16), int(m.group(2), 16) + 1)
        elif m := _MB_FREE.search(line):
            reserved = subtract(reserved, int(m.group(1), 16), int(m.group(2), 16) + 1)
    free = memory
    for start, end in reserved:
        free = subtract(free, start, end)
    best = 0
    for start, end in free:
        low = -(-max(start, PAGE) // PAGE) * PAGE
        best = max(best, end // PAGE * PAGE - low)
    return best


#: Maps whose RAM tops out low enough for a lazily backed guest (the struct page array of the
#: whole map is written before reserve_mem runs).
EDGE_CASES = [
    ("dell-latitude-7390-2-in-1-16g.txt", ""),
    ("dell-xps-13-9300-16g.txt", ""),
    ("qemu-16g-memmap12g-at-4g-pmem.txt", ""),
    ("qemu-q35-32g.txt", ""),
    # QEMU's ACPI tables (at 0xbffe0000) lie in this map's largest RAM range and split it.
    ("e820/zotac-zbox-ci321nano-4-5g-reltime.txt", ""),
    # arch_reserve_crashkernel(): 1 GiB from the top above 4 GiB, 256 MiB low below it.
    ("dell-xps-13-9300-16g.txt", "crashkernel=1G,high"),
]


@pytest.mark.parametrize(("name", "extra"), EDGE_CASES)
def test_reserve_mem_edge(name: str, extra: str) -> None:
    """On each map: the kernel's largest placed size K (read from memblock=debug and bracketed
    by booting K and K + 4 KiB); memmap-lint never calls a refused size placed without a
    warning, and places 90% of K without an error."""
    kernel = find_kernel("mainline-6.12")
    if qemu() is None or kernel is None:
        _unavailable("qemu-system-x86_64 or the mainline-6.12 kernel is missing")
    entries = load_capture(MAPS.parent.parent / name).entries if "/" in name else read_map(name)
    probe, _ = _boot_reserve_mem(kernel.image, entries, MiB, extra)
    edge = _kernel_largest(probe)
    (_, at_edge), (_, past_edge) = (
        _boot_reserve_mem(kernel.image, entries, s, extra) for s in (edge, edge + PAGE)
    )
    assert at_edge is not None, f"{name}: the kernel refused {edge}, the largest free range"
    assert past_edge is None, f"{name}: the kernel placed {edge + PAGE} at {past_edge:#x}"
    firmware = parse_map(probe, "BIOS-e820")
    # Known facts of these boots: QEMU's one CPU and where its ACPI tables are.
    options = Options(facts=Facts(cpus=1, tables=_acpi_tables(probe)))

    def model(size: int) -> Region:
        line = command_line(entries, _edge_params(size, extra))
        return simulate(firmware, line, "mainline", options=options).regions[0]

    refused = model(edge + PAGE)
    assert refused.status != PLACED or refused.risk, (
        f"{name}: the kernel refuses {edge + PAGE} bytes; memmap-lint places it at "
        f"{refused.start:#x} without a warning"
    )
    inside = model(edge * 9 // 10 // PAGE * PAGE)
    assert inside.status == PLACED, f"{name}: 90% of the kernel's {edge} is {inside.status}"
    small = simulate(
        firmware, command_line(entries, _edge_params(PAGE, extra)), "mainline", options=options
    )
    nominal = small.largest_free[1] if small.largest_free else 0
    coarse = Memblock.for_table(small.table).largest()  # the model before issue 17
    sure = largest(edge // PAGE, lambda n: not model(n * PAGE).risk) * PAGE
    print(
        f"\n{name} {extra}: kernel largest {edge / MiB:.2f} MiB; nominal model {(nominal - edge) / MiB:+.2f}"
        f" MiB, without warning up to {(sure - edge) / MiB:+.2f} MiB, coarse model "
        f"{((coarse[1] if coarse else 0) - edge) / MiB:+.2f} MiB"
    )


#: Command lines whose memory edit lies on the kernel image [16 MiB, 16 MiB + 44.1 MiB) (nokaslr),
#: and one that does not.
IMAGE_CASES = [
    ("memmap=16M$24M", True),
    ("memmap=8M!40M", True),
    ("memmap=4M%20M-1+4", True),
    ("memmap=exactmap,640K@0,15M@1M,4G@100M", True),
    ("memmap=16M$1G", False),
]


@pytest.mark.parametrize(("params", "covered"), IMAGE_CASES)
def test_kernel_image_cases(params: str, covered: bool) -> None:
    """The kernel says '.text .data .bss are not marked as E820_TYPE_RAM!' exactly when the
    simulator records the image fix-up (which MM310 reports)."""
    kernel = find_kernel("mainline-6.12")
    if qemu() is None or kernel is None:
        _unavailable("qemu-system-x86_64 or the mainline-6.12 kernel is missing")
    entries = read_map("qemu-q35-32g.txt")
    line = command_line(entries, params)
    log = boot_until(
        kernel.image,
        line,
        lambda text: "E820_TYPE_RAM!" in text or "Zone ranges:" in text or "Kernel panic" in text,
        memory=guest_memory(entries),
    ).log
    said = ".text .data .bss are not marked as E820_TYPE_RAM!" in log
    sim = simulate(parse_map(log, "BIOS-e820"), line, "mainline")
    assert said == covered, log[-2000:]
    assert bool(sim.image_fixups) == said, sim.image_fixups


def test_setup_data_and_percent_lines(tmp_path: Path) -> None:
    """A bzImage boot with a SETUP_DTB node and two % pieces that print 'usable ==> usable' while
    the command line is parsed: the capture reader keeps only the node (as in
    tests/fixtures/dmesg/qemu-6.12-setup-data-and-percent.txt, made the same way)."""
    kernel = find_kernel("mainline-6.12")
    if qemu() is None or kernel is None:
        _unavailable("qemu-system-x86_64 or the mainline-6.12 kernel is missing")
    bzimage = kernel.image.parent / "vmlinuz"
    dtb = tmp_path / "empty.dtb"
    dtb.write_bytes(minimal_dtb())
    log = boot_until(
        bzimage,
        f"{PREFIX} memmap=16M%0x20000000-1+128 memmap=8M%0x30000000-128+1",
        lambda line: "DMI:" in line or "Kernel panic" in line,
        memory="1G",
        qemu_args=["-dtb", str(dtb)],
    ).log
    updates = [line for line in log.splitlines() if "usable ==> usable" in line]
    assert len(updates) == 3, log[-3000:]  # two while parsing, one for the node
    node = re.search(r"\[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\]", updates[2])
    assert node is not None
    start, last = int(node.group(1), 16), int(node.group(2), 16)
    assert parse_capture(log, "boot.txt").setup_data == ((start, last - start + 1),)
