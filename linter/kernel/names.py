"""What the kernel's name tables do with every named reservation request.

Two tables hold names: the RFC's ``memmap_named`` table, filled by ``e820_add_mmap()`` for each
``memmap=nn*align:name`` piece ("[POC][RFC][PATCH 1/2] mm/x86: Add wildcard * option as
memmap=nn*align:name"), and mainline's ``reserved_mem_table``, filled by mm/memblock.c
``reserve_mem()`` (6.11+). :class:`RfcNames` and :class:`ReserveMemNames` are those tables; the
simulator fills them while it places regions, and :func:`requests` walks them for a command line,
taking each placement from a simulation or, without a memory map, assuming it succeeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from memmap_lint.kernel.cmdline import Cmdline, Param
from memmap_lint.kernel.dialects import rfc
from memmap_lint.kernel.model import NO_FIT, RESERVE_MEM, RFC, WILDCARD, Simulation
from memmap_lint.kernel.params import (
    RESERVE_MEM_MAX_ENTRIES,
    MemmapItem,
    ReserveMemSpec,
    memmap_items,
    read_reserve_mem,
    reserve_mem_name_faults,
)
from memmap_lint.kernel.release import Kernel

#: Fates of a request: found by lookups; RFC: an earlier entry has the name; RFC: memory
#: reserved, name refused; reserve_mem: nothing reserved (-EBUSY); the search or allocation found
#: no room; syntax (-EINVAL).
NAMED = "named"
SHADOWED = "shadowed"
UNNAMED = "unnamed"
REJECTED = "rejected"
FAILED = "failed"
INVALID = "invalid"

#: Names each table records (``E820_MAX_MAPS``, ``RESERVE_MEM_MAX_ENTRIES``) and the size of a
#: name's buffer, terminating NUL included.
RFC_MAX_NAMES = rfc.E820_MAX_MAPS
RFC_NAME_SIZE = rfc.E820_MAP_NAME_SIZE


@dataclass(frozen=True, slots=True)
class Verdict:
    """A table's answer: ``fate``, ``why`` in the kernel's terms, ``first`` the handle of the
    entry that took the name before, ``full`` that the table had no room left."""

    fate: str
    why: str = ""
    first: int | None = None
    full: bool = False


class RfcNames:
    """``e820_add_mmap()``: up to 8 names of at most 15 bytes, appended; lookups return the first
    entry of a name with a non-zero size (``memmap_named()``)."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, int, int]] = []

    def record(self, name: str, size: int, handle: int) -> Verdict:
        """Record ``name`` for the region ``handle`` whose search succeeded."""
        refused = rfc.name_status(name, len(self._entries))
        if refused is not None:
            full = not rfc.name_faults(name) and len(self._entries) >= RFC_MAX_NAMES
            return Verdict(UNNAMED, refused, full=full)
        first = next((h for n, s, h in self._entries if n == name and s), None)
        self._entries.append((name, size, handle))
        return Verdict(SHADOWED if first is not None and size else NAMED, first=first)


class ReserveMemNames:
    """``reserve_mem()``'s checks before it allocates, and the table it fills after (6.12)."""

    def __init__(self) -> None:
        self._names: dict[str, int] = {}

    def admit(self, spec: ReserveMemSpec) -> Verdict | None:
        """Why the kernel refuses ``spec`` before allocating (None: it goes on to allocate)."""
        if len(self._names) >= RESERVE_MEM_MAX_ENTRIES:
            why = f"{RESERVE_MEM_MAX_ENTRIES} regions already: the table is full (-EBUSY)"
            return Verdict(REJECTED, why, full=True)
        if spec.error:
            return Verdict(INVALID, spec.error + " (-EINVAL)")
        assert spec.name is not None
        if spec.name in self._names:
            why = f"the name '{spec.name}' was already used (-EBUSY)"
            return Verdict(REJECTED, why, first=self._names[spec.name])
        return None

    def add(self, name: str, handle: int) -> None:
        """``reserved_mem_add()`` after a successful allocation."""
        self._names[name] = handle


@dataclass(frozen=True, slots=True)
class Request:
    """One named reservation request and what the kernel's name table does with it.

    ``kind`` is :data:`WILDCARD` or :data:`RESERVE_MEM`; ``text`` the request as written
    (``memmap=<piece>`` or the whole ``reserve_mem=``); ``name_offset`` where its name starts in
    the command line; ``first`` the earlier request that holds the name (duplicates); ``full``
    that the table had no room left.
    """

    kind: str
    param: Param
    text: str
    offset: int
    name: str | None
    name_offset: int | None
    size: int
    fate: str = NAMED
    why: str = ""
    first: Request | None = None
    full: bool = False

    @property
    def faults(self) -> frozenset[str]:
        """What the kernel finds wrong with the name itself (``empty``, ``too-long``, and for
        reserve_mem ``blank``), whatever the table's state."""
        if self.name is None:
            return frozenset()
        if self.kind == WILDCARD:
            return rfc.name_faults(self.name)
        return reserve_mem_name_faults(self.name)


def _wildcard(item: MemmapItem) -> Request | None:
    if item.form != "*" or item.size is None or item.align is None:
        return None
    name_offset = None if item.name is None else item.offset + item.align.end + 1
    return Request(
        WILDCARD,
        item.param,
        f"memmap={item.text}",
        item.offset,
        item.name,
        name_offset,
        item.size.value,
    )


def _reserve_mem(param: Param) -> tuple[Request, ReserveMemSpec]:
    spec = read_reserve_mem(param, param.value)
    name_offset = None
    if spec.name is not None and spec.align is not None:
        name_offset = value_offset(param) + spec.align.end + 1
    size = spec.size.value if spec.size else 0
    return Request(RESERVE_MEM, param, param.raw, param.start, spec.name, name_offset, size), spec


def value_offset(param: Param) -> int:
    """Where the value of ``param`` starts in the command line."""
    return param.value_start if param.value_start is not None else param.start


def reserve_mem_params(cmdline: Cmdline) -> list[Param]:
    """The parameters the kernel hands to ``reserve_mem()``: ``reserve_mem=`` with a value
    (``obsolete_checksetup()`` matches the name with its ``=``)."""
    return [p for p in cmdline.named("reserve_mem") if p.value is not None]


def _placer(sim: Simulation | None) -> set[tuple[int, int]]:
    """(param start, offset) of every request whose search or allocation failed in ``sim``."""
    if sim is None:
        return set()
    return {(r.param.start, r.offset) for r in sim.regions if r.status == NO_FIT}


def rfc_requests(cmdline: Cmdline, sim: Simulation | None = None) -> list[Request]:
    """Every ``memmap=nn*align:name`` piece through ``e820_add_mmap()``, in order."""
    failed = _placer(sim)
    table = RfcNames()
    out: list[Request] = []
    for param in cmdline.named("memmap"):
        for item in memmap_items(param, wildcard=True):
            base = _wildcard(item)
            if base is None:
                continue
            if (param.start, item.offset) in failed:
                out.append(replace(base, fate=FAILED))
            elif item.name is None:
                out.append(replace(base, fate=INVALID, why="no ':' after the alignment"))
            else:
                v = table.record(item.name, base.size, len(out))
                first = None if v.first is None else out[v.first]
                out.append(replace(base, fate=v.fate, why=v.why, first=first, full=v.full))
    return out


def reserve_mem_requests(cmdline: Cmdline, sim: Simulation | None = None) -> list[Request]:
    """``reserve_mem()`` for each ``reserve_mem=`` parameter, in order."""
    failed = _placer(sim)
    table = ReserveMemNames()
    out: list[Request] = []
    for param in reserve_mem_params(cmdline):
        base, spec = _reserve_mem(param)
        v = table.admit(spec)
        if v is not None:
            first = None if v.first is None else out[v.first]
            out.append(replace(base, fate=v.fate, why=v.why, first=first, full=v.full))
        elif (param.start, param.start) in failed:
            out.append(replace(base, fate=FAILED))
        else:
            assert spec.name is not None
            table.add(spec.name, len(out))
            out.append(base)
    return out


def requests(cmdline: Cmdline, kernel: Kernel, sim: Simulation | None = None) -> list[Request]:
    """The named requests this kernel reads (RFC wildcards and/or reserve_mem) and their fates.

    With ``sim`` a search or allocation fails where the simulation's did; without one every
    search is assumed to succeed.
    """
    out: list[Request] = []
    if kernel.dialect == RFC:
        out.extend(rfc_requests(cmdline, sim))
    if kernel.has_reserve_mem:
        out.extend(reserve_mem_requests(cmdline, sim))
    return out


def named(cmdline: Cmdline, kernel: Kernel) -> list[Request]:
    """Every request that carries a name this kernel reads, whatever becomes of it."""
    return [r for r in requests(cmdline, kernel) if r.name is not None]


def name_tails(kernel: Kernel, pieces: Iterable[MemmapItem]) -> set[int]:
    """Offsets of the RFC pieces that are the rest of a name cut at a comma.

    ``parse_memmap_opt()`` splits the value at every comma, so ``memmap=1M*4K:a,b`` names the
    region ``a`` and hands ``b`` to ``parse_memmap_one()`` as a piece of its own; a piece after a
    named wildcard that does not start with a digit (or ``exactmap``) is such a tail.
    """
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


# --- names as written anywhere on the line ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mention:
    """A ``reserve_mem=`` or ``memmap=nn*align:name`` request written anywhere on the line.

    ``name`` is the name the kernel would record (``loose``: a request the kernel rejects before
    reading a name, whose name is then the text after the last ``:``). ``where`` is ``params``,
    ``init`` (after ``--``) or ``dropped`` (past COMMAND_LINE_SIZE). ``valid``: the request
    parses and its name is acceptable, the table's limits and the fit aside.
    """

    name: str
    kind: str
    param: Param
    text: str
    offset: int
    size: int
    loose: bool
    where: str
    valid: bool = False


def _mentions_in(params: Iterable[Param], where: str) -> Iterator[Mention]:
    for p in params:
        if p.value is None:
            continue
        if p.key == "reserve_mem":
            req, spec = _reserve_mem(p)
            if req.name is not None:
                valid = spec.error is None
                yield Mention(
                    req.name, RESERVE_MEM, p, p.raw, p.start, req.size, False, where, valid
                )
            elif ":" in p.value:
                name = p.value.rsplit(":", 1)[1]
                yield Mention(name, RESERVE_MEM, p, p.raw, p.start, req.size, True, where)
        elif p.key == "memmap":
            for item in memmap_items(p, wildcard=True):
                if item.form != "*" or item.size is None:
                    continue
                text, size = f"memmap={item.text}", item.size.value
                if item.name is not None:
                    valid = not rfc.name_faults(item.name)
                    yield Mention(
                        item.name, WILDCARD, p, text, item.offset, size, False, where, valid
                    )
                elif ":" in item.text:
                    name = item.text.rsplit(":", 1)[1]
                    yield Mention(name, WILDCARD, p, text, item.offset, size, True, where)


def mentions(cmdline: Cmdline) -> list[Mention]:
    """Every named-region request written anywhere on the command line, in order."""
    return [
        *_mentions_in(cmdline.params, "params"),
        *_mentions_in(cmdline.init_args, "init"),
        *_mentions_in(cmdline.dropped, "dropped"),
    ]


def kind_supported(kernel: Kernel, kind: str) -> bool:
    """Whether ``kernel`` records regions of ``kind`` at all."""
    if kind == WILDCARD:
        return kernel.dialect == RFC
    return kernel.has_reserve_mem
