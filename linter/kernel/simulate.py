"""Early boot, parameter by parameter: what the kernel does to the e820 map and the named regions.

Order (arch/x86/kernel/setup.c setup_arch()): the sanitized firmware map; ``parse_early_param()``
applies every ``memmap=`` piece and ``mem=`` in command-line order; ``e820__reserve_setup_data()``
turns the boot's setup_data into RESERVED_KERN and sanitizes; ``e820__finish_early_params()``
sanitizes a user-defined map or panics. ``reserve_mem=`` runs later, in ``parse_args("Booting
kernel")``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

from memmap_lint.kernel import names as N
from memmap_lint.kernel import params as P
from memmap_lint.kernel.cmdline import Cmdline, Param, parse
from memmap_lint.kernel.crashkernel import read_crashkernel
from memmap_lint.kernel.dialects import rfc
from memmap_lint.kernel.dialects.memblock import DEFAULT_HEADROOM, add, memory_ranges
from memmap_lint.kernel.e820 import (
    RAM,
    RESERVED,
    RESERVED_KERN,
    U64,
    Entry,
    Table,
    coverage,
    is_usable,
    sanitized,
    type_name,
)
from memmap_lint.kernel.earlyboot import IMAGE_START, Facts
from memmap_lint.kernel.model import (
    INVALID,
    NO_FIT,
    PLACED,
    RESERVE_MEM,
    RFC,
    SHADOWED,
    UNNAMED,
    UNSUPPORTED,
    WILDCARD,
    Event,
    Region,
    Simulation,
)
from memmap_lint.kernel.release import Kernel, kernel_for
from memmap_lint.kernel.reservemem import Placer
from memmap_lint.kernel.sizes import human

PANIC_INVALID_MAP = "Invalid user supplied memory map"
PANIC_UPDATE_BUG = (
    "kernel BUG at arch/x86/kernel/e820.c: BUG_ON(old_type == new_type) in __e820__range_update"
)


@dataclass(frozen=True, slots=True)
class Options:
    """Knobs of the model that the kernel does not fix."""

    headroom: int = DEFAULT_HEADROOM
    max_entries: int = 128 + 3 * 1024
    #: What the host says about its next boot (kernel image, CPUs) for reserve_mem's model.
    facts: Facts = field(default_factory=Facts)


@dataclass(slots=True)
class _Boot:
    table: Table
    kernel: Kernel
    userdef: bool = False
    panic: str | None = None
    events: list[Event] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    reservations: list[tuple[int, int, Param, str]] = field(default_factory=list)
    names: N.RfcNames = field(default_factory=N.RfcNames)
    image: tuple[int, int] | None = None
    image_fixups: tuple[tuple[int, int, int], ...] = ()

    def event(
        self, item: P.MemmapItem | Param, action: str, message: str, level: str = "info"
    ) -> None:
        if isinstance(item, P.MemmapItem):
            self.events.append(Event(item.param, item.text, item.offset, action, message, level))
        else:
            self.events.append(Event(item, item.raw, item.start, action, message, level))


def _rng(start: int, size: int) -> str:
    return f"[mem {start & U64:#018x}-{(start + size - 1) & U64:#018x}]"


def _apply_memmap(boot: _Boot, item: P.MemmapItem) -> None:
    """``parse_memmap_one()`` (plus the RFC's ``*`` branch when the item was read with it)."""
    t = boot.table
    if item.form == "exactmap":
        t.nr_entries = 0
        boot.userdef = True
        boot.event(
            item,
            "exactmap",
            "exactmap: the table's entry count is set to 0 (the firmware "
            "map is dropped; its slots keep their old contents)",
        )
        return
    if item.form == "none" or item.size is None:
        boot.event(
            item,
            "ignored",
            f"'{item.text}': no number at the start, the kernel ignores it",
            "warning",
        )
        return
    boot.userdef = True
    size = item.size.value
    if item.form in P.ADD_FORMS:
        assert item.start is not None
        etype = P.ADD_FORMS[item.form]
        start = item.start.value
        added = t.range_add(start, size, etype)
        msg = f"adds {_rng(start, size)} {type_name(etype)} ({human(size)})"
        if not added:
            msg += f"; the table is full ({t.max_entries} entries): too many entries, ignored"
        if item.trailing:
            msg += f"; '{item.trailing}' after the address is ignored (-EINVAL, already applied)"
        boot.event(item, "add", msg, "warning" if item.trailing or not added else "info")
        if etype != RAM:
            boot.reservations.append((start, size, item.param, item.text))
        return
    if item.form == "%":
        _apply_update(boot, item, size)
        return
    if item.form == "*":
        _apply_wildcard(boot, item, size)
        return
    # The bare form: everything at or above `size` that is RAM goes.
    t.range_remove(size, U64 - size, RAM, True)
    msg = f"memory limit: every RAM byte at or above {size:#x} ({human(size)}) is removed"
    if item.trailing:
        msg = (
            f"'{item.trailing[:1]}' after the size is not a memmap form: the kernel reads "
            f"memmap={item.text[: item.size.end]}, a " + msg
        )
    boot.event(item, "limit", msg, "error")


def _apply_update(boot: _Boot, item: P.MemmapItem, size: int) -> None:
    assert item.start is not None
    start = item.start.value
    old, new = item.old_type, item.new_type
    if item.trailing:
        boot.event(
            item,
            "ignored",
            f"'{item.trailing}' after the types: the kernel rejects the "
            "piece before acting (-EINVAL)",
            "warning",
        )
        return
    t = boot.table
    if old and new:
        if item.hits_update_bug:
            boot.panic = PANIC_UPDATE_BUG
            boot.event(
                item,
                "panic",
                f"old and new type are both {old}: BUG_ON in __e820__range_update, the boot stops",
                "error",
            )
            return
        changed = t.range_update(start, size, old, new)
        boot.event(
            item,
            "update",
            f"retypes {type_name(old)} to {type_name(new)} in "
            f"{_rng(start, size)}: {human(changed)} changed",
        )
        if not is_usable(new):
            boot.reservations.append((start, size, item.param, item.text))
    elif new:
        t.range_add(start, size, new)
        boot.event(
            item,
            "add",
            f"adds {_rng(start, size)} {type_name(new)} (an appended entry: it "
            "wins only where its type number is larger than what is there)",
        )
        if not is_usable(new):
            boot.reservations.append((start, size, item.param, item.text))
    elif old:
        removed = t.range_remove(start, size, old, True)
        boot.event(
            item,
            "remove",
            f"removes {type_name(old)} in {_rng(start, size)}: {human(removed)} removed",
        )
    else:
        removed = t.range_remove(start, size, 0, False)
        boot.event(
            item, "remove", f"removes every entry in {_rng(start, size)}: {human(removed)} removed"
        )


def _apply_wildcard(boot: _Boot, item: P.MemmapItem, size: int) -> None:
    """The RFC's ``*`` branch (only reached in the rfc dialect)."""
    assert item.align is not None
    align = item.align.value
    t = boot.table
    found = rfc.region(t, size, align)
    make = partial(
        Region,
        param=item.param,
        text=item.text,
        offset=item.offset,
        kind=WILDCARD,
        size=size,
        align=align,
    )
    if found.negative:
        why = (
            "no usable slot can hold it"
            if found.slot is None
            else f"slot {found.slot} ends below {human(size)}, the subtraction wraps and the kernel "
            "stops searching there"
        )
        boot.regions.append(
            make(
                name=item.name,
                start=None,
                status=NO_FIT,
                note=f"e820__region failed: {why}",
                slot=found.slot,
                past_end=found.unknown,
            )
        )
        boot.event(
            item,
            "no-fit",
            f"no room for {human(size)} aligned to {align:#x}: {why}; "
            "nothing is reserved (-EINVAL)",
            "error",
        )
        return
    if item.name is None:
        boot.regions.append(
            make(name=None, start=None, status=INVALID, note="no ':' after the alignment")
        )
        boot.event(
            item,
            "invalid",
            "no ':' after the alignment: -EINVAL after the search, nothing is reserved",
            "error",
        )
        return
    start = found.start
    verdict = boot.names.record(item.name, size, len(boot.regions))
    refused = verdict.why if verdict.fate == N.UNNAMED else None
    status = {N.NAMED: PLACED, N.SHADOWED: SHADOWED}.get(verdict.fate, UNNAMED)
    stale = " (a slot past the end of the table: stale contents)" if found.stale else ""
    note = "" if refused is None else f"reserved but not named: {refused}"
    clashes = tuple(
        piece
        for piece in coverage(sanitized(t.slots[: t.nr_entries]), start, start + size)
        if not is_usable(piece[2])
    )
    t.range_add(start, size, RESERVED)
    boot.regions.append(
        make(
            name=item.name,
            start=start,
            status=status,
            note=note,
            slot=found.slot,
            clashes=clashes,
            stale=found.stale,
            past_end=found.unknown,
        )
    )
    msg = (
        f"reserves {_rng(start, size)} ({human(size)}) at the top of slot {found.slot}{stale}; "
        "appended as reserved, the RAM slot is left as it is"
    )
    if refused:
        msg += f"; {refused}, so no consumer can find it"
    elif status == SHADOWED:
        msg += f"; the name '{item.name}' is already taken: lookups return the first one"
    boot.event(item, "reserve", msg, "warning" if refused or status == SHADOWED else "info")


def _apply_mem(boot: _Boot, param: Param) -> None:
    """``parse_memopt()`` (x86-64)."""
    opt = P.read_mem(param)
    if param.value is None:
        boot.event(param, "ignored", "mem without a value: Malformed early option 'mem'", "warning")
        return
    if opt.nopentium:
        boot.event(param, "ignored", "mem=nopentium ignored! (only supported on x86_32)", "warning")
        return
    boot.userdef = True
    limit = opt.limit
    if limit is None:
        boot.event(
            param,
            "ignored",
            f"mem={param.value} reads as 0: the kernel refuses it "
            "(the map still counts as user-defined)",
            "warning",
        )
        return
    boot.table.range_remove(limit, U64 - limit, RAM, True)
    boot.event(
        param,
        "limit",
        f"memory limit: every RAM byte at or above {limit:#x} "
        f"({human(limit)}) is removed (an address, not an amount)",
        "warning",
    )


def _apply_setup_data(boot: _Boot, setup_data: Sequence[tuple[int, int]]) -> None:
    """``e820__reserve_setup_data()``: RAM -> RESERVED_KERN for each block, then sanitize."""
    if not setup_data:
        return
    has = boot.kernel.has_reserved_kern
    if has is False:
        return
    for start, size in setup_data:
        boot.table.range_update(start, size, RAM, RESERVED_KERN)
    boot.table.sanitize()
    note = "" if has else " (whether this kernel still does this is not known: assumed)"
    boot.events.append(
        Event(
            None,
            "setup_data",
            0,
            "setup_data",
            f"{len(setup_data)} setup_data block(s) from the captured boot marked "
            f"RESERVED_KERN (printed usable) and the table sanitized{note}",
        )
    )


def _add_kernel_range(boot: _Boot, facts: Facts) -> None:
    """``e820_add_kernel_range()`` (K6.12 arch/x86/kernel/setup.c, after
    ``e820__finish_early_params()``): when ``[_text, _end)`` is not all E820_TYPE_RAM (a hole,
    a reservation, even RESERVED_KERN), the kernel prints ``.text .data .bss are not marked as
    E820_TYPE_RAM!``, removes every entry there (``e820__range_remove(..., 0)``) and adds the
    range as RAM. The printed user-defined map comes before it, so only memblock sees the change;
    the image is where ``facts`` say, else at ``CONFIG_PHYSICAL_START`` (nokaslr, or an EFI boot
    with ``memmap=``, where the stub turns physical KASLR off)."""
    start, size = facts.image or (IMAGE_START, facts.image_extent())
    boot.image = (start, size)
    table = [(e.start, e.size, e.type) for e in boot.table.entries()]
    boot.image_fixups = tuple(p for p in coverage(table, start, start + size) if p[2] != RAM)
    if boot.image_fixups:
        boot.events.append(
            Event(
                None,
                "kernel-image",
                0,
                "kernel-image",
                f"the kernel image {_rng(start, size)} is not all RAM: '.text .data .bss are not "
                "marked as E820_TYPE_RAM!'; e820_add_kernel_range() removes every entry there "
                "and adds it as RAM again (what was reserved there is not)",
                "warning",
            )
        )


def _reserve_mem(
    boot: _Boot,
    line: Cmdline,
    setup_data: Sequence[tuple[int, int]],
    options: Options,
) -> tuple[int, int] | None:
    """``reserve_mem()`` for each occurrence, against the early-boot memblock model."""
    specs = N.reserve_mem_params(line)
    if not specs:
        return None
    memory = memory_ranges(boot.table.entries())
    if boot.image is not None:
        memory = add(memory, boot.image[0], boot.image[0] + boot.image[1])
    request = read_crashkernel(line, sum(t - s for s, t in memory))
    placer = Placer(
        memory,
        tuple(setup_data),
        options.facts,
        kaslr=not any(p.key == "nokaslr" for p in line.params),
        headroom=options.headroom,
        crash=(request, boot.kernel) if request is not None else None,
    )
    if boot.kernel.has_reserve_mem:  # what it gave out before reserve_mem=, which only 6.11+ runs
        boot.events.append(Event(None, "early-boot", 0, "early-boot", placer.story()))
    names = N.ReserveMemNames()
    asked: list[tuple[int, int]] = []
    for p in specs:
        spec = P.read_reserve_mem(p, p.value)
        size = spec.size.value if spec.size else 0
        align = spec.effective_align
        asked.append((size, align))
        make = partial(
            Region,
            name=spec.name,
            size=size,
            align=align,
            param=p,
            text=p.raw,
            offset=p.start,
            kind=RESERVE_MEM,
        )

        def refuse(status: str, note: str, message: str, p: Param = p, make: Any = make) -> None:
            boot.regions.append(make(start=None, status=status, note=note))
            boot.event(p, status, message, "error")

        if not boot.kernel.has_reserve_mem:
            refuse(
                UNSUPPORTED,
                "reserve_mem= needs Linux 6.11",
                "this kernel has no "
                "reserve_mem=: the parameter is passed to init and nothing is reserved",
            )
            continue
        verdict = names.admit(spec)
        if verdict is not None:
            why = verdict.why
            refuse(INVALID, why, f"reserve_mem rejects it: {why}; nothing is printed")
            continue
        assert spec.name is not None
        got = placer.alloc(size, align)
        if got.start is None:
            refuse(
                NO_FIT,
                "memblock allocation failed (-ENOMEM)",
                f"memblock cannot find {human(size)} aligned to {align:#x} after setup_arch()'s "
                f"own allocations ({placer.assumed})",
            )
            continue
        names.add(spec.name, len(boot.regions))
        seen = options.facts.learned_at(tuple(asked))
        start = got.start if seen is None else seen.start
        if seen is None:
            note = "address approximate: it depends on setup_arch()'s own allocations"
            message = f"memblock reserves {human(size)} at about {start:#x} (top-down; approximate)"
        else:
            note = (
                f"address learned: verify saw it at {start:#x} on {seen.host} "
                f"(facts of {seen.when}, {seen.release}, same hardware profile and requests)"
            )
            message = f"memblock reserves {human(size)} at {start:#x} ({note})"
        if got.risk:
            note += "; " + got.risk
        boot.regions.append(
            make(
                start=start,
                status=PLACED,
                approximate=seen is None,
                note=note,
                margin=got.margin,
                risk=got.risk,
            )
        )
        boot.event(
            p,
            "reserve",
            message + (f"; {got.risk}" if got.risk else ""),
            "warning" if got.risk else "info",
        )
    return placer.largest


def simulate(
    firmware: Sequence[Entry],
    cmdline: str | Cmdline,
    dialect: str | Kernel = "stock",
    setup_data: Sequence[tuple[int, int]] = (),
    options: Options | None = None,
) -> Simulation:
    """Apply ``cmdline`` to the ``firmware`` map the way the kernel of ``dialect`` does."""
    kernel = dialect if isinstance(dialect, Kernel) else kernel_for(dialect=dialect)
    line = cmdline if isinstance(cmdline, Cmdline) else parse(cmdline)
    return _simulate(tuple(firmware), line, kernel, tuple(setup_data), options or Options())


@lru_cache(maxsize=4096)
def _simulate(
    firmware: tuple[Entry, ...],
    line: Cmdline,
    kernel: Kernel,
    setup_data: tuple[tuple[int, int], ...],
    options: Options,
) -> Simulation:
    # e820__memory_setup_default(): the firmware's table is appended, then sanitized in place.
    start = Table.from_entries(firmware, options.max_entries)
    start.sanitize()
    boot = _Boot(start, kernel)
    wildcard = kernel.dialect == RFC
    for p in line.params:
        if boot.panic:
            break
        if p.key == "memmap":
            if p.value is None:
                continue
            for item in P.memmap_items(p, wildcard):
                _apply_memmap(boot, item)
                if boot.panic:
                    break
            if not wildcard:
                _mark_unsupported_wildcards(boot, p)
        elif p.key == "mem":
            _apply_mem(boot, p)
    if boot.panic is None:
        _apply_setup_data(boot, setup_data)
        if boot.userdef and not boot.table.sanitize():
            boot.panic = PANIC_INVALID_MAP
    largest = None
    if boot.panic is None:
        kaslr = not any(p.key == "nokaslr" for p in line.params)
        _add_kernel_range(boot, options.facts.for_boot(kaslr))
        largest = _reserve_mem(boot, line, setup_data, options)
    table = () if boot.panic else tuple(boot.table.entries())
    return Simulation(
        dialect=kernel.dialect,
        kernel=kernel.release,
        firmware=firmware,
        cmdline=line,
        table=table,
        panic=boot.panic,
        regions=tuple(boot.regions),
        events=tuple(boot.events),
        userdef=boot.userdef,
        reservations=tuple(boot.reservations),
        largest_free=largest,
        setup_data=setup_data,
        options=options,
        kernel_image=boot.image,
        image_fixups=boot.image_fixups,
    )


def _mark_unsupported_wildcards(boot: _Boot, p: Param) -> None:
    """Record ``memmap=nn*align:name`` pieces that a kernel without the RFC read as a limit."""
    for item in P.memmap_items(p, wildcard=True):
        if item.form != "*" or item.size is None:
            continue
        boot.regions.append(
            Region(
                name=item.name,
                size=item.size.value,
                align=item.align.value if item.align else None,
                start=None,
                status=UNSUPPORTED,
                param=p,
                text=item.text,
                offset=item.offset,
                kind=WILDCARD,
                note=f"this kernel has no wildcard: it reads memmap={item.text[: item.size.end]}, a "
                f"memory limit that drops all RAM above {human(item.size.value)}",
            )
        )
