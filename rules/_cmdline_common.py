"""Helpers shared by the MM1xx/MM2xx rules: how a number was misread, who owns which piece.

Ownership between the rules of the family (each problem is reported once):

- A ``memmap=`` piece that lands in the bare branch (``form == "limit"``) belongs to MM109, which
  explains any misreading that sent it there (``08M$1G``, ``4GB$12G``, ``4G2G``). A wildcard piece
  on a kernel without the RFC belongs to MM105.
- A number misread by a pitfall (octal, hex digit eaten as a suffix, unit letters, fractions,
  64-bit wrap, type number past 32 bits) belongs to MM102, including the text the kernel then
  leaves unread and a zero that comes from the misreading; MM101, MM103 and MM104 skip it.
- A piece with nothing the kernel can read as a number, and every other ``-EINVAL`` path, belongs
  to MM101; a size that is 0 without a pitfall belongs to MM103.
- On the RFC kernel, pieces that follow a named wildcard piece and do not start with a digit are
  the rest of a name cut at a comma: MM205 owns them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from memmap_lint.kernel.cmdline import Cmdline, Param
from memmap_lint.kernel.e820 import RAM, sanitized
from memmap_lint.kernel.model import NO_FIT, RFC, Simulation
from memmap_lint.kernel.params import (
    ADD_FORMS,
    RESERVE_MEM_MAX_ENTRIES,
    MemmapItem,
    ReserveMemSpec,
    memmap_items,
    read_reserve_mem,
)
from memmap_lint.kernel.release import Kernel
from memmap_lint.kernel.sizes import U64, Parsed, human
from memmap_lint.rule import HostContext

U32 = (1 << 32) - 1
#: Kernel parameters that reserve, limit or consume memory.
MEMORY_KEYS = ("memmap", "mem", "reserve_mem", "trace_instance", "crashkernel")
#: ``E820_MAX_MAPS`` of the RFC: names it records.
RFC_MAX_NAMES = 8
RFC_NAME_SIZE = 16


def is_memory_param(param: Param) -> bool:
    """A parameter this family cares about (``ramoops.*`` included)."""
    return param.key in MEMORY_KEYS or param.key.startswith("ramoops.")


def open_quote(text: str) -> int | None:
    """Index of the ``"`` left open at the end of ``text`` as next_arg() toggles quotes."""
    in_quote = False
    opened: int | None = None
    for i, c in enumerate(text):
        if c == '"':
            in_quote = not in_quote
            opened = i if in_quote else None
    return opened if in_quote else None


def swallowing(cmdline: Cmdline) -> Param | None:
    """The parameter that an unclosed quote turned into the rest of the line (MM111's)."""
    at = open_quote(cmdline.text)
    if at is None:
        return None
    return next((p for p in (*cmdline.params, *cmdline.init_args) if p.start <= at < p.end), None)


def bug_on_update(item: MemmapItem) -> bool:
    """``memmap=nn%ss-N+N``: equal non-zero types reach BUG_ON in __e820__range_update (MM110)."""
    return (
        item.form == "%"
        and not item.trailing
        and bool(item.old_type)
        and item.old_type == item.new_type
    )


PANIC = "Invalid user supplied memory map"


def appends(item: MemmapItem) -> tuple[int, int] | None:
    """The entry a piece appends to the table as (start, size), if it appends one for sure."""
    if item.size is None or item.start is None or (item.trailing and item.form == "%"):
        return None
    if item.form in ADD_FORMS:
        return item.start.value, item.size.value
    if item.form == "%" and item.new_type and not item.old_type:
        return item.start.value, item.size.value
    return None


def wrapping_entries(ctx: HostContext) -> list[tuple[Param, MemmapItem]]:
    """Added entries that end at or past 2^64, making the final sanitize panic (MM110's).

    Entries hidden by a later ``exactmap`` do not count. Without a simulation an entry that a
    later ``%``, memory limit or ``mem=`` may remove or shorten is left out; with one, nothing is
    reported unless the simulated boot panics with ``Invalid user supplied memory map``.
    """
    sim = ctx.sim
    if sim is not None and sim.panic != PANIC:
        return []
    flat = [(p, it) for p in ctx.cmdline.named("memmap") for it in items(ctx.kernel, p)]
    last = max((i for i, (_, it) in enumerate(flat) if it.form == "exactmap"), default=-1)
    mem_starts = [p.start for p in ctx.cmdline.named("mem")]
    out: list[tuple[Param, MemmapItem]] = []
    for index, (param, item) in enumerate(flat):
        entry = appends(item)
        if index <= last or entry is None:
            continue
        start, size = entry
        if not size or start + size <= U64:
            continue
        touched = any(
            (it.form == "%" and not it.trailing and appends(it) is None) or it.form == "limit"
            for _, it in flat[index + 1 :]
        ) or any(m > param.start for m in mem_starts)
        if touched and sim is None:
            continue
        out.append((param, item))
    return out


def items(kernel: Kernel, param: Param) -> list[MemmapItem]:
    """The pieces of a ``memmap=`` value as this kernel reads them."""
    return memmap_items(param, wildcard=kernel.dialect == RFC)


def owned_pieces(ctx: HostContext, only: Param | None) -> Iterator[tuple[Param, MemmapItem]]:
    """The ``memmap=`` pieces (of ``only``, else of every parameter) in order, except the name
    tails MM205 owns."""
    for param in (only,) if only is not None else ctx.cmdline.params:
        if param.key == "memmap" and param.value is not None:
            pieces = items(ctx.kernel, param)
            skip = continuations(ctx.kernel, pieces)
            yield from ((param, item) for item in pieces if item.offset not in skip)


def continuations(kernel: Kernel, pieces: Sequence[MemmapItem]) -> set[int]:
    """Offsets of RFC pieces that are the tail of a name cut at a comma (owned by MM205)."""
    if kernel.dialect != RFC:
        return set()
    owned: set[int] = set()
    inside = False
    for item in pieces:
        if inside and not item.text[:1].isdigit() and not item.text.startswith("exactmap"):
            owned.add(item.offset)
            continue
        inside = item.form == "*" and item.name is not None
    return owned


def written(text: str, number: Parsed) -> str:
    """The characters the kernel consumed for ``number``."""
    return text[number.start : number.end]


def _unit_tail(text: str, end: int) -> str | None:
    """Unit letters or a fraction the kernel leaves unread right after a number."""
    rest = text[end:]
    if rest[:1] == "." and rest[1:2].isdigit():
        tail = "."
        for c in rest[1:]:
            if c.isalnum():
                tail += c
            else:
                break
        return tail
    for unit in ("iB", "ib", "IB", "B", "b"):
        if rest.startswith(unit) and not rest[len(unit) : len(unit) + 1].isalnum():
            return unit
    return None


def pitfall(text: str, number: Parsed, what: str = "the number") -> str | None:
    """Why ``memparse``/``simple_strtoull`` read ``number`` differently from what was written.

    None when the number was read as written. The text says what the kernel read.
    """
    found = classify(text, number, what)
    return None if found is None else found[1]


def classify(text: str, number: Parsed, what: str = "the number") -> tuple[str, str] | None:
    """(kind, explanation) of a misread number; kind is wrap, octal, hex, fraction or unit."""
    seen = written(text, number) or text[number.start : number.start + 1]
    if number.wrapped:
        return "wrap", (
            f"{what} '{seen}' does not fit in 64 bits: the kernel's arithmetic wraps silently "
            f"and it reads {number.value:#x} ({human(number.value)})"
        )
    if number.base == 8:
        nxt = text[number.digits_end : number.digits_end + 1]
        if nxt in ("8", "9"):
            return "octal", (
                f"{what} '{text[number.start : number.digits_end + 1]}' starts with 0, which "
                f"makes it octal; '{nxt}' is not an octal digit, so the kernel reads "
                f"{number.value} and stops there"
            )
        if nxt in ("x", "X"):
            return "octal", (
                f"{what} '0{nxt}' is not followed by a hex digit, so the kernel reads it as the "
                f"octal number 0 and stops at '{nxt}'"
            )
        digits = text[number.start : number.digits_end]
        if len(digits) > 1 and digits.strip("0"):
            return "octal", (
                f"{what} '{seen}' starts with 0, which makes it octal: the kernel reads "
                f"{number.value:#x} ({human(number.value)}), not {digits.lstrip('0')}"
                f"{number.suffix}"
            )
    if (
        number.base == 16
        and not number.suffix
        and text[number.digits_end - 1 : number.digits_end] in ("e", "E")
    ):
        return "hex", (
            f"{what} '{seen}' ends in E, which is a hex digit here, not the exa suffix: the "
            f"kernel reads {number.value:#x} ({human(number.value)})"
        )
    tail = _unit_tail(text, number.end)
    if tail is not None:
        if tail.startswith("."):
            return "fraction", (
                f"{what} '{seen}{tail}' has a fraction, which the kernel does not know: it reads "
                f"{seen} ({human(number.value)}) and stops at '.'"
            )
        return "unit", (
            f"{what} '{seen}{tail}' has a unit the kernel does not know: only the one letter "
            f"K, M, G, T, P or E counts, so it reads {seen} ({human(number.value)}) and stops "
            f"at '{tail[0]}'"
        )
    return None


def unit_only(text: str, number: Parsed) -> bool:
    """The only misreading is unit letters after the suffix (``4GB``): the value is as meant."""
    found = classify(text, number)
    return found is not None and found[0] == "unit"


def type_pitfall(text: str, number: Parsed, what: str) -> str | None:
    """A ``%`` type number misread: the pitfalls of ``simple_strtoull`` plus the 32-bit cut."""
    found = pitfall(text, number, what)
    if found is not None and number.wrapped:
        return found + f", then keeps the low 32 bits: type {number.value & U32}"
    if found is None and number.value > U32:
        return (
            f"{what} '{written(text, number)}' is wider than the kernel's 32-bit enum e820_type: "
            f"it keeps the low 32 bits, type {number.value & U32}"
        )
    return found


def numbers(item: MemmapItem) -> Iterator[tuple[str, Parsed]]:
    """The memparse numbers of a piece with the name of their role."""
    if item.size is not None:
        yield "the size", item.size
    if item.start is not None and item.form in ("@", "#", "$", "!", "%"):
        yield "the address", item.start
    if item.align is not None:
        yield "the alignment", item.align


def piece_pitfalls(item: MemmapItem) -> list[tuple[Parsed, str]]:
    """Every misread number of a piece (memparse numbers and ``%`` types)."""
    found: list[tuple[Parsed, str]] = []
    for role, number in numbers(item):
        why = pitfall(item.text, number, role)
        if why is not None:
            found.append((number, why))
    for role, raw in (("the old type", item.old_raw), ("the new type", item.new_raw)):
        if raw is not None:
            why = type_pitfall(item.text, raw, role)
            if why is not None:
                found.append((raw, why))
    return found


def reserve_mem_pitfalls(spec: ReserveMemSpec, value: str) -> list[tuple[Parsed, str]]:
    """Misread numbers of a ``reserve_mem=`` value."""
    found: list[tuple[Parsed, str]] = []
    for role, number in (("the size", spec.size), ("the alignment", spec.align)):
        if number is None:
            continue
        why = pitfall(value, number, role)
        if why is not None:
            found.append((number, why))
    return found


def reserve_mem_params(cmdline: Cmdline) -> list[Param]:
    """The parameters the kernel hands to ``reserve_mem()`` (``reserve_mem=`` with a value)."""
    return [p for p in cmdline.named("reserve_mem") if p.value is not None]


def value_offset(param: Param) -> int:
    """Where the value starts in the command line."""
    return param.value_start if param.value_start is not None else param.start


# --- The name tables of the RFC and of reserve_mem, walked as the kernel walks them. ---


@dataclass(frozen=True, slots=True)
class Request:
    """One named reservation request and what the kernel's name table does with it.

    ``fate``: ``named`` (found by lookups), ``shadowed`` (RFC: an earlier entry has the name),
    ``unnamed`` (RFC: memory reserved, name refused: ``why``), ``rejected`` (reserve_mem: nothing
    reserved: ``why``), ``failed`` (the search or allocation found no room), ``invalid`` (syntax).
    """

    kind: str
    param: Param
    text: str
    offset: int
    name: str | None
    name_offset: int | None
    size: int
    fate: str
    why: str = ""
    first: Request | None = None


Placed = Callable[[Param, int], bool]


def _placed_from(sim: Simulation | None) -> Placed:
    """Whether the search/allocation of the request at (param, offset) succeeded (True: assume)."""
    failed = set()
    if sim is not None:
        failed = {(r.param.start, r.offset) for r in sim.regions if r.status == NO_FIT}

    def placed(param: Param, offset: int) -> bool:
        return (param.start, offset) not in failed

    return placed


def rfc_requests(cmdline: Cmdline, sim: Simulation | None) -> list[Request]:
    """The RFC's ``e820_add_mmap()`` over every ``memmap=nn*align:name`` piece, in order."""
    placed = _placed_from(sim)
    out: list[Request] = []
    recorded: list[Request] = []
    for param in cmdline.named("memmap"):
        for item in memmap_items(param, wildcard=True):
            if item.form != "*" or item.size is None or item.align is None:
                continue
            name_offset = None
            if item.name is not None:
                name_offset = item.offset + item.align.end + 1
            base = Request(
                "memmap-wildcard",
                param,
                f"memmap={item.text}",
                item.offset,
                item.name,
                name_offset,
                item.size.value,
                "named",
            )
            if not placed(param, item.offset):
                out.append(replace(base, fate="failed"))
                continue
            if item.name is None:
                out.append(replace(base, fate="invalid", why="no ':' after the alignment"))
                continue
            length = len(item.name.encode("utf-8", "surrogateescape"))
            if not item.name:
                out.append(replace(base, fate="unnamed", why="the name is empty"))
            elif length >= RFC_NAME_SIZE:
                out.append(
                    replace(
                        base, fate="unnamed", why=f"the name is {length} bytes (at most 15 fit)"
                    )
                )
            elif len(recorded) >= RFC_MAX_NAMES:
                out.append(
                    replace(
                        base, fate="unnamed", why=f"the name table is full ({RFC_MAX_NAMES} names)"
                    )
                )
            else:
                first = next((r for r in recorded if r.name == item.name and r.size), None)
                fate = "shadowed" if first is not None and item.size.value else "named"
                req = replace(base, fate=fate, first=first)
                recorded.append(req)
                out.append(req)
    return out


def reserve_mem_requests(cmdline: Cmdline, sim: Simulation | None) -> list[Request]:
    """``reserve_mem()`` for each ``reserve_mem=`` parameter, in order (K6.12 mm/memblock.c)."""
    placed = _placed_from(sim)
    out: list[Request] = []
    names: dict[str, Request] = {}
    count = 0
    for param in reserve_mem_params(cmdline):
        spec = read_reserve_mem(param, param.value)
        name_offset = None
        if spec.name is not None and spec.align is not None:
            name_offset = value_offset(param) + spec.align.end + 1
        base = Request(
            "reserve_mem",
            param,
            param.raw,
            param.start,
            spec.name,
            name_offset,
            spec.size.value if spec.size else 0,
            "named",
        )
        if count >= RESERVE_MEM_MAX_ENTRIES:
            why = f"{RESERVE_MEM_MAX_ENTRIES} regions already exist: the table is full (-EBUSY)"
            out.append(replace(base, fate="rejected", why=why))
            continue
        if spec.error:
            out.append(replace(base, fate="invalid", why=spec.error))
            continue
        assert spec.name is not None
        if spec.name in names:
            out.append(
                replace(
                    base,
                    fate="rejected",
                    why=f"the name '{spec.name}' was already used (-EBUSY)",
                    first=names[spec.name],
                )
            )
            continue
        if not placed(param, param.start):
            out.append(replace(base, fate="failed"))
            continue
        count += 1
        req = replace(base, fate="named")
        names[spec.name] = req
        out.append(req)
    return out


def requests(ctx_cmdline: Cmdline, kernel: Kernel, sim: Simulation | None) -> list[Request]:
    """The named requests this kernel understands: RFC wildcards and/or reserve_mem."""
    out: list[Request] = []
    if kernel.dialect == RFC:
        out.extend(rfc_requests(ctx_cmdline, sim))
    if kernel.has_reserve_mem:
        out.extend(reserve_mem_requests(ctx_cmdline, sim))
    return out


def named_pieces(cmdline: Cmdline, kernel: Kernel) -> list[Request]:
    """Every request that carries a name this kernel reads, whatever becomes of it."""
    out: list[Request] = []
    if kernel.dialect == RFC:
        out.extend(r for r in rfc_requests(cmdline, None) if r.name is not None)
    if kernel.has_reserve_mem:
        for param in reserve_mem_params(cmdline):
            spec = read_reserve_mem(param, param.value)
            if spec.name is None or spec.align is None:
                continue
            out.append(
                Request(
                    "reserve_mem",
                    param,
                    param.raw,
                    param.start,
                    spec.name,
                    value_offset(param) + spec.align.end + 1,
                    spec.size.value if spec.size else 0,
                    "named",
                )
            )
    return out


def firmware_ram(sim: Simulation, below: int = U64 + 1) -> int:
    """Bytes of RAM in the sanitized firmware map below ``below``."""
    table = sanitized([(e.start, e.size, e.type) for e in sim.firmware])
    return sum(max(0, min(a + s, below) - a) for a, s, t in table if t == RAM and a < below)
