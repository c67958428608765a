"""``memmap-lint advise``: the named regions a fleet asks for, sized and written to fit everywhere.

For each region name requested anywhere on the selected hosts (``memmap=nn*align:name`` or
``reserve_mem=nn:align:name``), the simulator answers, per host and in that host's dialect:

- the largest size at the requested alignment that still gets placed (a binary search over the
  simulator: placement is monotone in the size, as ``kernel/whatif.largest_fit`` relies on);
  for rfc the RFC search on the host's e820 table, for mainline the memblock model;
- where the region lands at the advised size; hosts of one dialect where it lands elsewhere than
  on most of the others keep nothing across a move to (or from) the common address.

Then one set of parameters per dialect: ``memmap=SIZE*ALIGN:name`` for rfc kernels,
``reserve_mem=SIZE:ALIGN:name`` for 6.11+ (the migration for hosts moving there from the
wildcard form), with the consumers (``ramoops.mem_name``, and on 6.12+ ``trace_instance=..@name``)
that the fleet already uses. Stock kernels (< 6.11 without the RFC patch) cannot keep a named
region: they are listed, not advised. Every suggestion is checked by simulating it on every host.
Pure: hosts in, advice out; each distinct (map, kernel, base command line) is computed once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from memmap_lint.captures.parse import Capture
from memmap_lint.engine.hostinput import HostInput, with_cmdline
from memmap_lint.engine.lint import Linter
from memmap_lint.engine.pipeline import check
from memmap_lint.kernel.cmdline import Cmdline, Param, parse
from memmap_lint.kernel.consumers import RAMOOPS_BUILTIN_FEATURE, TRACE_FLAGS, instances
from memmap_lint.kernel.model import (
    MAINLINE,
    PLACED,
    RESERVE_MEM,
    RFC,
    STOCK,
    WILDCARD,
    Region,
    Simulation,
)
from memmap_lint.kernel.params import memmap_items
from memmap_lint.kernel.placement import largest, overlaps
from memmap_lint.kernel.release import Kernel
from memmap_lint.kernel.simulate import Options, simulate
from memmap_lint.kernel.sizes import kernel_size

MIB = 1 << 20
#: ``trace_instance=NAME@REGION`` (a reserve_mem region by name) exists from 6.12
#: (kernel/trace/trace.c enable_instances(), commit 29a02ec66556).
TRACE_AT_SINCE = (6, 12, 0)


@dataclass(frozen=True, slots=True)
class Subject:
    """One selected host as advise sees it."""

    host: str
    kernel: Kernel
    cmdline: Cmdline
    capture: Capture | None
    digest: str | None
    current_kernel: str | None = None


@dataclass(frozen=True, slots=True)
class Want:
    """A named region the fleet asks for: the largest size and alignment requested for it."""

    name: str
    size: int
    align: int
    ramoops: bool
    trace: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Spot:
    """Where a region lands on some hosts (``start`` None: it is not placed there)."""

    start: int | None
    approximate: bool
    hosts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DialectFit:
    """One region under one dialect: the size that fits on every host and where it lands."""

    dialect: str
    largest: int
    smallest_host: str | None
    spots: tuple[Spot, ...]

    @property
    def moved(self) -> tuple[str, ...]:
        """Hosts where the region lands elsewhere than on most hosts of this dialect."""
        return tuple(h for s in self.spots[1:] for h in s.hosts)


@dataclass(frozen=True, slots=True)
class RegionAdvice:
    name: str
    requested: int
    align: int
    advised: int
    dialects: tuple[DialectFit, ...]


@dataclass(frozen=True, slots=True)
class Migration:
    """Hosts that boot 6.11+ next with the wildcard form (or from a kernel that used it)."""

    hosts: tuple[str, ...]
    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True)
class Advice:
    regions: tuple[RegionAdvice, ...]
    #: dialect -> the parameters to put on that dialect's command line.
    cmdlines: dict[str, str]
    #: dialect -> hosts of that dialect.
    hosts: dict[str, tuple[str, ...]]
    migration: Migration | None
    #: dialect -> hosts where simulating the suggestion did not place every region.
    failed: dict[str, tuple[str, ...]]
    no_capture: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


def _name_of(r: Region) -> str | None:
    return r.name if r.name and r.kind in (WILDCARD, RESERVE_MEM) else None


def wants(subjects: Iterable[Subject], sims: dict[str, Simulation]) -> list[Want]:
    """The named regions requested on the hosts, in first-seen order, with their consumers."""
    sizes: dict[str, int] = {}
    aligns: dict[str, int] = {}
    ramoops: set[str] = set()
    trace: dict[str, dict[str, None]] = {}
    for s in subjects:
        sim = sims.get(s.host)
        for r in sim.regions if sim is not None else ():
            name = _name_of(r)
            if name is None or not r.size or r.status == "invalid":
                continue
            sizes[name] = max(sizes.get(name, 0), r.size)
            aligns[name] = max(aligns.get(name, 0), r.align or 0)
        mem_name = s.cmdline.last("ramoops.mem_name")
        if mem_name is not None and mem_name.value:
            ramoops.add(mem_name.value)
        for p in s.cmdline.named("trace_instance"):
            for inst in instances(p):
                # A flag enable_instances() does not know is refused (kernel/trace/trace.c):
                # such a value is not copied into a suggestion.
                valid = all(f in TRACE_FLAGS for f in inst.flag_names)
                if inst.target and inst.names_region and valid:
                    trace.setdefault(inst.target, {})[
                        _instance_text(inst.name, inst.flag_names, inst.target, inst.events)
                    ] = None
    return [
        Want(n, sizes[n], max(aligns[n], 4096), n in ramoops, tuple(trace.get(n, {})))
        for n in sizes
    ]


def _instance_text(name: str, flags: Sequence[str], target: str, events: Sequence[str]) -> str:
    text = name + "".join("^" + f for f in flags) + "@" + target
    return ",".join([text, *events])


def _without_requests(p: Param) -> str | None:
    """``p`` as written without named-region requests and consumers (None: nothing is left)."""
    if p.key in ("reserve_mem", "ramoops.mem_name", "trace_instance"):
        return None
    if p.key == "memmap" and p.value is not None:
        items = memmap_items(p, True)
        rest = [i.text for i in items if i.form != "*"]
        if len(rest) == len(items):
            return p.raw
        return f"{p.name}={','.join(rest)}" if rest else None
    return p.raw


def base_line(line: Cmdline) -> str:
    """The command line without its named-region requests and their consumers."""
    kept = (_without_requests(p) for p in line.params)
    text = " ".join(t for t in kept if t is not None)
    if line.init_args:
        text += " -- " + " ".join(p.raw for p in line.init_args)
    return text.strip()


def params_for(dialect: str, kernel: Kernel | None, chosen: Sequence[tuple[Want, int]]) -> str:
    """The reservation and consumer parameters of ``dialect`` for ``chosen`` (want, size)."""
    out: list[str] = []
    chosen = [(w, size) for w, size in chosen if size > 0]  # a region that fits nowhere: none
    for w, size in chosen:
        if dialect == RFC:
            out.append(f"memmap={kernel_size(size)}*{w.align}:{w.name}")
        elif dialect == MAINLINE:
            out.append(f"reserve_mem={kernel_size(size)}:{w.align}:{w.name}")
    ramoops = [w for w, _ in chosen if w.ramoops]
    if ramoops:
        out.append(f"ramoops.mem_name={ramoops[-1].name}")
    trace_ok = (
        dialect == MAINLINE
        and kernel is not None
        and (kernel.version is None or kernel.version >= TRACE_AT_SINCE)
    )
    if trace_ok:
        out.extend(f"trace_instance={t}" for w, _ in chosen for t in w.trace)
    return " ".join(out)


def _joined(base: str, params: str) -> str:
    if " -- " in f" {base} ":
        head, _, tail = f" {base} ".partition(" -- ")
        return f"{head.strip()} {params} -- {tail.strip()}".strip()
    return f"{base} {params}".strip()


@dataclass
class _Profile:
    """Hosts that share map, kernel and base command line: one answer for all of them."""

    capture: Capture
    kernel: Kernel
    base: str
    hosts: list[str]


def _sim(p: _Profile, params: str) -> Simulation:
    return simulate(
        p.capture.entries,
        _joined(p.base, params),
        p.kernel,
        p.capture.setup_data,
        Options(facts=p.capture.boot_facts()),
    )


def _placed(sim: Simulation, name: str) -> Region | None:
    kind = WILDCARD if sim.dialect == RFC else RESERVE_MEM
    return sim.region(name, kind)


def _largest(p: _Profile, earlier: Sequence[tuple[Want, int]], w: Want) -> int:
    """The largest size of ``w`` (MiB steps from 2 MiB, else 4 KiB) placed after ``earlier``."""
    unit = MIB if w.size >= 2 * MIB else 4096

    def fits(units: int) -> bool:
        params = params_for(p.kernel.dialect, None, [*earlier, (w, units * unit)])
        placed = _placed(_sim(p, params), w.name)
        return placed is not None and not placed.risk  # a size that may be refused is no advice

    if fits(w.size // unit) and w.size % unit == 0:
        return w.size
    return largest(w.size // unit, fits) * unit


def advise(subjects: Sequence[Subject]) -> Advice:
    """Advice for the selected hosts (see the module docstring)."""
    sims: dict[str, Simulation] = {}
    profiles: dict[tuple[str, Kernel, str], _Profile] = {}
    by_dialect: dict[str, list[str]] = {}
    no_capture: list[str] = []
    for s in subjects:
        by_dialect.setdefault(s.kernel.dialect, []).append(s.host)
        if s.capture is None or s.digest is None:
            no_capture.append(s.host)
            continue
        sims[s.host] = simulate(
            s.capture.entries,
            s.cmdline,
            s.kernel,
            s.capture.setup_data,
            Options(facts=s.capture.boot_facts()),
        )
        base = base_line(s.cmdline)
        key = (s.digest, s.kernel, base)
        if key not in profiles:
            profiles[key] = _Profile(s.capture, s.kernel, base, [])
        profiles[key].hosts.append(s.host)
    asked = wants(subjects, sims)
    chosen: list[tuple[Want, int]] = []
    fits: list[list[DialectFit]] = [[] for _ in asked]
    for i, w in enumerate(asked):
        size = w.size
        smallest: dict[str, tuple[int, str]] = {}
        for p in profiles.values():
            if p.kernel.dialect == STOCK:
                continue
            got = _largest(p, chosen, w)
            d = p.kernel.dialect
            if d not in smallest or got < smallest[d][0]:
                smallest[d] = (got, p.hosts[0])
        for _d, (got, _host) in smallest.items():
            size = min(size, got)
        chosen.append((w, size))
        for d, (got, host) in sorted(smallest.items()):
            fits[i].append(DialectFit(d, got, host if got < w.size else None, ()))
    cmdlines = {
        d: params_for(d, _oldest(profiles.values(), d), chosen)
        for d in (RFC, MAINLINE)
        if d in by_dialect
    }
    failed: dict[str, list[str]] = {}
    shared: dict[str, list[str]] = {}
    spots: dict[tuple[int, str], dict[tuple[int | None, bool], list[str]]] = {}
    for p in profiles.values():
        d = p.kernel.dialect
        if d == STOCK:
            continue
        sim = _sim(p, params_for(d, p.kernel, chosen))
        for i, (w, _) in enumerate(chosen):
            r = _placed(sim, w.name)
            where = (r.start, r.approximate) if r is not None else (None, False)
            spots.setdefault((i, d), {}).setdefault(where, []).extend(p.hosts)
            if r is None or r.status != PLACED:
                failed.setdefault(d, []).extend(p.hosts)
        if overlaps(sim):
            failed.setdefault(d, []).extend(p.hosts)
            shared.setdefault(d, []).extend(p.hosts)
    regions = []
    for i, (w, size) in enumerate(chosen):
        per: list[DialectFit] = []
        for f in fits[i]:
            found = spots.get((i, f.dialect), {})
            ordered = sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0][0] or 0))
            per.append(
                DialectFit(
                    f.dialect,
                    f.largest,
                    f.smallest_host,
                    tuple(
                        Spot(start, approx, tuple(sorted(hosts)))
                        for (start, approx), hosts in ordered
                    ),
                )
            )
        regions.append(RegionAdvice(w.name, w.size, w.align, size, tuple(per)))
    return Advice(
        tuple(regions),
        cmdlines,
        {d: tuple(h) for d, h in sorted(by_dialect.items())},
        _migration(subjects, chosen),
        {d: tuple(sorted(set(h))) for d, h in failed.items()},
        tuple(no_capture),
        _notes(by_dialect, chosen, subjects) + _overlap_notes(shared),
    )


def _overlap_notes(shared: dict[str, list[str]]) -> tuple[str, ...]:
    """Say why a suggestion whose regions share memory is no suggestion at all."""
    notes = []
    for d, hosts in sorted(shared.items()):
        why = (
            " The RFC only appends each reservation and leaves the RAM entry it searched whole, "
            "so every wildcard in one RAM entry ends at that entry's top: two named regions "
            "there always overlap (MM302). Keep one wildcard region per host, or move to "
            "reserve_mem= (6.11+), which carves each region out of free memory."
            if d == RFC
            else ""
        )
        notes.append(
            f"{d}: on {len(set(hosts))} host(s) the suggested regions overlap each other.{why}"
        )
    return tuple(notes)


def _oldest(profiles: Iterable[_Profile], dialect: str) -> Kernel | None:
    """The oldest kernel of a dialect: consumers are suggested only if it understands them."""
    ks = [p.kernel for p in profiles if p.kernel.dialect == dialect]
    if any(k.version is None for k in ks) or not ks:
        return ks[0] if ks else None
    return min(ks, key=lambda k: k.version or (0, 0, 0))


def _migration(subjects: Sequence[Subject], chosen: Sequence[tuple[Want, int]]) -> Migration | None:
    """Hosts booting 6.11+ next that carry the wildcard form or come from a kernel without
    reserve_mem: replace ``memmap=nn*align:name`` by ``reserve_mem=nn:align:name``."""
    hosts: list[str] = []
    old: dict[str, None] = {}
    for s in subjects:
        if s.kernel.dialect != MAINLINE:
            continue
        written = [
            f"memmap={item.text}"
            for p in s.cmdline.named("memmap")
            for item in memmap_items(p, True)
            if item.form == "*"
        ]
        from_old = s.current_kernel is not None and _before_reserve_mem(s.current_kernel)
        if written or from_old:
            hosts.append(s.host)
            old.update(dict.fromkeys(written))
    if not hosts or not chosen:
        return None
    new = tuple(
        f"reserve_mem={kernel_size(size)}:{w.align}:{w.name}" for w, size in chosen if size > 0
    )
    return Migration(tuple(hosts), tuple(old), new)


def _before_reserve_mem(release: str) -> bool:
    from memmap_lint.kernel.release import parse_release

    v = parse_release(release)
    return v is not None and v < (6, 11, 0)


def _notes(
    by_dialect: dict[str, list[str]],
    chosen: Sequence[tuple[Want, int]],
    subjects: Sequence[Subject],
) -> tuple[str, ...]:
    notes = []
    modular = [
        s.host
        for s in subjects
        if s.kernel.dialect == RFC and RAMOOPS_BUILTIN_FEATURE not in s.kernel.features
    ]
    if modular and any(w.ramoops for w, _ in chosen):
        notes.append(
            f"{len(modular)} rfc host(s) do not declare the kernel feature {RAMOOPS_BUILTIN_FEATURE}: "
            "with the RFC patch ramoops reads mem_name only when built in (CONFIG_PSTORE_RAM=y; "
            "MM407), so build it in there and declare the feature."
        )
    if STOCK in by_dialect and chosen:
        notes.append(
            f"{len(by_dialect[STOCK])} host(s) boot a stock kernel (< 6.11 without the RFC patch): "
            "it has no named regions (memmap=nn*align:name removes all RAM above nn there, and "
            "reserve_mem= is passed to init); they need the RFC patch or 6.11+ first."
        )
    if MAINLINE in by_dialect and chosen:
        notes.append(
            "reserve_mem addresses are approximate (memblock allocates top-down after setup_arch's "
            "own early allocations), and with KASLR they can change from boot to boot."
        )
    if any(w.trace for w, _ in chosen):
        notes.append(
            "trace_instance=NAME@REGION needs 6.12+ and a reserve_mem region "
            "(the RFC's memmap table is not searched by it)."
        )
    return tuple(notes)


# ------------------------------------------------------------------ one line per group of hosts

#: Smallest region suggested: ramoops needs its four zones (4 KiB each by default, ram.c) and a
#: trace buffer a few pages per CPU; 1 MiB holds both with room.
MIN_REGION = MIB
#: Alignment of suggested regions: a page (both the RFC and memblock accept it).
PAGE = 4096


@dataclass(frozen=True, slots=True)
class Member:
    """A host of a group: what advise knows of it, and the linter input to judge lines with."""

    subject: Subject
    input: HostInput


@dataclass(frozen=True, slots=True)
class GroupAdvice:
    """One suggestion for hosts that can share it (same dialect, same consumers in use).

    ``params`` replaces every named-region parameter and every ``ramoops.*`` and
    ``trace_instance=`` of these hosts; ``None`` when no size adds no finding on all of them
    (``why`` says what the smallest size still met). ``dropped``: consumer values of the hosts
    that were not copied because a rule flags them.
    """

    dialect: str
    consumers: tuple[str, ...]
    hosts: tuple[str, ...]
    params: str | None
    why: str = ""
    dropped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: The hosts the smallest size still failed on, with the finding (empty with a line).
    blockers: tuple[tuple[str, str], ...] = ()
    #: Hosts left out because no line adds no finding there, each with the finding.
    excluded: tuple[str, ...] = ()


def _consumer_key(s: Subject) -> tuple[str, ...]:
    out = []
    if s.cmdline.last("ramoops.mem_name") is not None:
        out.append("ramoops")
    if s.cmdline.named("trace_instance"):
        out.append("trace_instance")
    return tuple(out)


def _without_consumers(line: Cmdline) -> str:
    """``base_line`` without the other ``ramoops.*`` either: the suggestion owns the consumer."""
    kept = [p for p in parse(base_line(line)).params if not p.key.startswith("ramoops.")]
    text = " ".join(p.raw for p in kept)
    tail = " ".join(p.raw for p in line.init_args)
    return f"{text} -- {tail}" if tail else text


def _judge(
    linter: Linter, members: Sequence[Member], params: str, notes: list[str]
) -> dict[str, str]:
    """The members on which ``params`` adds a host finding, each with the first one it adds
    (empty: the line adds none anywhere). The findings are ``lint``'s (``pipeline.check``: a
    host's ignores, inline disables and rule precedence count).

    Findings of fleet rules (MM306: hosts of one hardware whose maps differ) are about the
    hosts, whatever the line: they go to ``notes``.
    """
    fleet = {r.code for r in linter.rules if r.scope == "fleet"}
    base = [with_cmdline(m.input, _without_consumers(m.subject.cmdline)) for m in members]
    full = [with_cmdline(b, _joined(b.cmdline.text, params)) for b in base]
    before = check(linter, base)
    after = check(linter, full)
    failed: dict[str, str] = {}
    for b, a in zip(before, after, strict=True):
        had = Counter(f.code for f in b.findings)
        for f in a.findings:
            if had[f.code] > 0:
                had[f.code] -= 1
            elif f.code in fleet:
                notes.append(f"{a.host}: {f.code} {f.message}")
            else:
                failed.setdefault(a.host, f"{f.code} {f.message}")
    return failed


def _passes(
    linter: Linter, members: Sequence[Member], line_of: Callable[[int], str], base: int, k: int
) -> bool:
    """Whether the line at ``base`` + ``k`` MiB adds no finding on any member."""
    return not _judge(linter, members, line_of(base + k * MIB), [])


def _sizes(start: int) -> Iterator[int]:
    size = max(start, MIN_REGION)
    while size >= MIN_REGION:
        yield size - size % MIB if size >= MIB else size
        size //= 2


def _profile(m: Member) -> str:
    """What decides the findings of a line on a host, besides the line: hosts alike in this
    are judged once (cost grows with distinct hardware, not host count)."""
    inp = m.input
    return json.dumps(
        [
            m.subject.digest,
            repr(m.subject.kernel),
            _without_consumers(m.subject.cmdline),
            m.subject.current_kernel,
            inp.facts,
            inp.host.get("memmap_lint_ignore"),
        ],
        sort_keys=True,
        default=str,
    )


def advise_group(
    linter: Linter, dialect: str, consumers: tuple[str, ...], members: Sequence[Member]
) -> GroupAdvice:
    """:func:`_advise_group` on one host per profile, leaving out one by one the profiles where
    even the smallest region adds a finding that no size avoids (their own line's trouble:
    exactmap, a kernel change in the same rollout), so the others still get a line."""
    alike: dict[str, list[str]] = {}
    reps: list[Member] = []
    for m in members:
        same = alike.setdefault(_profile(m), [])
        if not same:
            reps.append(m)
        same.append(m.subject.host)
    hosts_of = {names[0]: names for names in alike.values()}
    excluded: list[str] = []
    left = reps
    while True:
        got = _advise_group(linter, dialect, consumers, left, members)
        every = tuple(h for m in left for h in hosts_of[m.subject.host])
        if got.params is not None or not got.blockers or len(got.blockers) == len(left):
            # A line that fails on every host is the line's trouble (a consumer the kernel
            # cannot run), not the hosts': nothing is left out then.
            return replace(got, hosts=every, excluded=tuple(excluded), blockers=())
        for host, why in got.blockers:
            more = len(hosts_of[host]) - 1
            excluded.append(
                f"{host}: {why}" + (f" (and {more} more host(s) alike)" if more else "")
            )
        blocked = {h for h, _w in got.blockers}
        left = [m for m in left if m.subject.host not in blocked]


def _advise_group(
    linter: Linter,
    dialect: str,
    consumers: tuple[str, ...],
    members: Sequence[Member],
    everyone: Sequence[Member],
) -> GroupAdvice:
    """The largest regions (halving from what ``everyone`` asks, at most the large-reservation
    share of the smallest host's RAM) whose line adds no finding on any of ``members``."""
    hosts = tuple(m.subject.host for m in members)
    sims = {
        m.subject.host: simulate(
            m.subject.capture.entries,
            m.subject.cmdline,
            m.subject.kernel,
            m.subject.capture.setup_data,
            Options(facts=m.subject.capture.boot_facts()),
        )
        for m in everyone
        if m.subject.capture is not None
    }
    asked = {w.name: w for w in wants([m.subject for m in everyone], sims)}
    share = linter.engine.options["MM305"]["share"]  # every rule runs in advise
    budget = min((int(s.ram_total() * share) for s in sims.values()), default=0)
    ramoops = "oops"
    for m in everyone:
        p = m.subject.cmdline.last("ramoops.mem_name")
        if p is not None and p.value and len(p.value.encode()) < 16 and p.value.isidentifier():
            ramoops = p.value
            break
    trace: dict[str, None] = {}
    if dialect == MAINLINE:
        for m in everyone:
            for p in m.subject.cmdline.named("trace_instance"):
                for inst in instances(p):
                    if inst.target and inst.names_region:
                        trace[_instance_text(inst.name, inst.flag_names, "trace", inst.events)] = (
                            None
                        )
    keyword = (
        "memmap={size}*{align}:{name}" if dialect == RFC else "reserve_mem={size}:{align}:{name}"
    )
    # reserve_mem moves with the kernel image under physical KASLR (MM409): the line says nokaslr.
    extra = ["nokaslr"] if dialect == MAINLINE else []
    start = max((w.size for w in asked.values()), default=MIN_REGION)
    if budget:
        start = min(start, budget // (2 if trace else 1))
    dropped: list[str] = []
    notes: list[str] = []
    failed: dict[str, str] = {}

    def line_of(size: int) -> str:
        region = keyword.format(size=kernel_size(size), align=PAGE, name=ramoops)
        return " ".join([*extra, region, f"ramoops.mem_name={ramoops}"])

    upper = 0  # the smallest size that failed so far
    for size in _sizes(start):
        failed = _judge(linter, members, line_of(size), [])
        if failed:
            upper = size
            continue
        if upper > size + MIB:
            # Halving overshoots: the largest passing size below the one that failed, in MiB.
            top = (upper - size) // MIB - 1
            size += MIB * largest(top, partial(_passes, linter, members, line_of, size))
        params = line_of(size)
        kept: list[str] = []
        tregion = keyword.format(size=kernel_size(size), align=PAGE, name="trace")
        for t in trace:
            line = " ".join([params, tregion, *kept, f"trace_instance={t}"])
            if not _judge(linter, members, line, []):
                kept.append(f"trace_instance={t}")
            else:
                dropped.append(f"trace_instance={t}")
        final = " ".join([params, *([tregion, *kept] if kept else [])])
        _judge(linter, members, final, notes)
        return GroupAdvice(
            dialect, consumers, hosts, final, "", tuple(dropped), tuple(dict.fromkeys(notes))
        )
    why = next((f"{h}: {w}" for h, w in failed.items()), "")
    return GroupAdvice(dialect, consumers, hosts, None, why, blockers=tuple(failed.items()))


def _asks(line: Cmdline) -> bool:
    """Whether a host asks for a named region or runs a consumer of one."""
    return base_line(line) != line.text.strip() or bool(line.named("ramoops.mem_name"))


def advise_groups(linter: Linter, members: Sequence[Member]) -> list[GroupAdvice]:
    """One suggestion per group of hosts that can share a line (dialect and consumers in use);
    stock kernels have no named regions and get none, hosts that ask for none are not advised."""
    groups: dict[tuple[str, tuple[str, ...]], list[Member]] = {}
    for m in members:
        if m.subject.kernel.dialect == STOCK or not _asks(m.subject.cmdline):
            continue
        if m.subject.capture is None:  # nothing checked is never a fit: listed as no_capture
            continue
        groups.setdefault((m.subject.kernel.dialect, _consumer_key(m.subject)), []).append(m)
    return [advise_group(linter, d, c, ms) for (d, c), ms in sorted(groups.items())]
