"""What the MM4xx consumer rules share: named-region requests, ramoops and trace_instance.

Everything here reads the command line the way the kernel does (sources next to each function);
nothing here reports. Region kinds are the ones ``linter/kernel/model.py`` uses: ``reserve_mem`` (mainline,
``reserve_mem_find_by_name()``) and ``memmap-wildcard`` (the RFC's ``memmap_named()``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.model import PLACED, RFC, Region
from memmap_lint.kernel.params import memmap_items, read_reserve_mem
from memmap_lint.kernel.release import Kernel
from memmap_lint.kernel.sizes import U64, kstrtoull
from memmap_lint.rule import HostContext

RESERVE_MEM = "reserve_mem"
WILDCARD = "memmap-wildcard"

#: ``trace_instance=`` boot parameter: "tracing: Add creation of instances at boot command line"
#: (commit cb1f98c5e574, February 2023; first release 6.3, inferred from the commit date).
TRACE_INSTANCE_SINCE = (6, 3, 0)
#: ``@addr:size``, ``@region`` and the ``^flag`` syntax: 6.12 (kernel/trace/trace.c enable_instances()).
TRACE_AT_SINCE = (6, 12, 0)
#: ramoops zone order changed with "pstore/ram: Move pmsg init earlier" (Kees Cook, October
#: 2022, pstore pull for 6.2): before it dmesg, console, ftrace, pmsg (K6.1); after it dmesg,
#: console, pmsg, ftrace (K6.12). fs/pstore/ram.c ramoops_probe() and appendix A.
PMSG_BEFORE_FTRACE_SINCE = (6, 2, 0)
#: The kernel feature that declares ramoops built in (CONFIG_PSTORE_RAM=y).
RAMOOPS_BUILTIN_FEATURE = "ramoops-builtin"


def since(kernel: Kernel, version: tuple[int, int, int]) -> bool | None:
    """Whether the next kernel is at least ``version`` (None: release unknown)."""
    if kernel.version is None:
        return None
    return kernel.version >= version


# --- named-region requests -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """A ``reserve_mem=`` or ``memmap=nn*align:name`` piece that asks for a named region.

    ``name`` is the name as the kernel would record it (``loose`` marks a piece the kernel
    rejects before reading a name: then it is the text after the last ``:``). ``where`` says
    which part of the command line holds it: ``params``, ``init`` (after ``--``) or ``dropped``
    (past COMMAND_LINE_SIZE).
    """

    name: str
    kind: str
    param: Param
    text: str
    offset: int
    size: int
    loose: bool
    where: str
    #: The piece parses and its name is acceptable (table limits and fit aside).
    valid: bool = False


def _requests_in(params: Iterable[Param], where: str) -> Iterator[Request]:
    for p in params:
        if p.value is None:
            continue
        if p.key == "reserve_mem":
            spec = read_reserve_mem(p, p.value)
            size = spec.size.value if spec.size else 0
            if spec.name is not None:
                valid = spec.error is None
                yield Request(spec.name, RESERVE_MEM, p, p.raw, p.start, size, False, where, valid)
            elif ":" in p.value:
                name = p.value.rsplit(":", 1)[1]
                yield Request(name, RESERVE_MEM, p, p.raw, p.start, size, True, where)
        elif p.key == "memmap":
            for item in memmap_items(p, wildcard=True):
                if item.form != "*" or item.size is None:
                    continue
                text = f"memmap={item.text}"
                if item.name is not None:
                    nbytes = len(item.name.encode("utf-8", "surrogateescape"))
                    valid = 0 < nbytes < 16
                    yield Request(
                        item.name,
                        WILDCARD,
                        p,
                        text,
                        item.offset,
                        item.size.value,
                        False,
                        where,
                        valid,
                    )
                elif ":" in item.text:
                    name = item.text.rsplit(":", 1)[1]
                    yield Request(
                        name, WILDCARD, p, text, item.offset, item.size.value, True, where
                    )


def requests(ctx: HostContext) -> list[Request]:
    """Every named-region request written anywhere on the command line, in order."""
    line = ctx.cmdline
    return [
        *_requests_in(line.params, "params"),
        *_requests_in(line.init_args, "init"),
        *_requests_in(line.dropped, "dropped"),
    ]


def kind_supported(kernel: Kernel, kind: str) -> bool:
    """Whether the next kernel records regions of ``kind`` at all."""
    if kind == WILDCARD:
        return kernel.dialect == RFC
    return kernel.has_reserve_mem


def ramoops_kind(kernel: Kernel) -> str:
    """Which table ``ramoops.mem_name`` is looked up in.

    The RFC's patch 2/2 calls ``memmap_named()`` (the wildcard table); mainline (6.11+) calls
    ``reserve_mem_find_by_name()``.
    """
    return WILDCARD if kernel.dialect == RFC else RESERVE_MEM


def found_region(ctx: HostContext, name: str, kind: str) -> Region | None:
    """The region a lookup of ``name`` in the ``kind`` table returns (first match), from the
    simulation; None without a simulation or when the lookup fails."""
    if ctx.sim is None:
        return None
    for r in ctx.sim.regions:
        if (
            r.kind == kind
            and r.name == name
            and r.status == PLACED
            and r.start is not None
            and r.size
        ):
            return r
    return None


def region_size(ctx: HostContext, name: str, kind: str) -> int | None:
    """The size a lookup of ``name`` returns.

    With a simulation, exactly what the kernel finds; without one, the first request of that
    kind and name that the kernel accepts, assuming it fits (fitting is MM301's business).
    """
    if ctx.sim is not None:
        r = found_region(ctx, name, kind)
        return r.size if r is not None else None
    if not kind_supported(ctx.kernel, kind):
        return None
    for req in requests(ctx):
        if req.where == "params" and req.kind == kind and req.name == name and req.valid:
            return req.size or None
    return None


def close_names(name: str, candidates: Iterable[str]) -> list[str]:
    """Names that look like ``name`` (another case, a typo), best first."""
    pool = sorted({c for c in candidates if c and c != name})
    same_case = [c for c in pool if c.lower() == name.lower()]
    rest = difflib.get_close_matches(name, [c for c in pool if c not in same_case], n=2)
    return same_case + rest


# --- ramoops ---------------------------------------------------------------------------------

#: ramoops module parameters (fs/pstore/ram.c) with their kernel type and default.
#: ``mem_name`` exists from 6.11 (and with the RFC's patch 2/2).
RAMOOPS_PARAMS: dict[str, tuple[str, int | None]] = {
    "record_size": ("ulong", 4096),
    "console_size": ("ulong", 4096),
    "ftrace_size": ("ulong", 4096),
    "pmsg_size": ("ulong", 4096),
    "mem_address": ("ullong", 0),
    "mem_size": ("ulong", 0),
    "mem_type": ("uint", 0),
    "max_reason": ("int", -1),
    "ecc": ("int", 0),
    "dump_oops": ("int", -1),
    "mem_name": ("charp", None),
}
ZONES = ("record_size", "console_size", "ftrace_size", "pmsg_size")


def ramoops_params(ctx: HostContext) -> list[Param]:
    """The kernel parameters addressed to ramoops (``ramoops.*``), in order."""
    return [p for p in ctx.cmdline.params if p.key.startswith("ramoops.")]


def ramoops_last(ctx: HostContext, field: str) -> Param | None:
    """The occurrence of ``ramoops.<field>`` that wins (module parameters: the last one)."""
    return ctx.cmdline.last(f"ramoops.{field}")


@dataclass(frozen=True, slots=True)
class IntResult:
    """A kstrto* result: ``value`` or ``error`` (EINVAL / ERANGE)."""

    value: int | None
    error: str | None


def kstrto(kind: str, text: str) -> IntResult:
    """``kstrtoul``/``kstrtoull``/``kstrtouint``/``kstrtoint`` with base 0 (lib/kstrtox.c)."""
    if kind in ("ulong", "ullong", "uint"):
        r = kstrtoull(text)
        if r.value is None:
            return IntResult(None, r.error)
        if kind == "uint" and r.value > 0xFFFFFFFF:
            return IntResult(None, "ERANGE")
        return IntResult(r.value, None)
    # kstrtoint -> kstrtoll: a leading '-' then _kstrtoull (which does not skip a '+').
    if text.startswith("-"):
        rest = text[1:]
        if rest.startswith("+"):
            return IntResult(None, "EINVAL")
        r = kstrtoull(rest)
        if r.value is None:
            return IntResult(None, r.error)
        if r.value > 1 << 63:
            return IntResult(None, "ERANGE")
        value = -r.value
    else:
        r = kstrtoull(text)
        if r.value is None:
            return IntResult(None, r.error)
        if r.value > (1 << 63) - 1:
            return IntResult(None, "ERANGE")
        value = r.value
    if not -(1 << 31) <= value < 1 << 31:
        return IntResult(None, "ERANGE")
    return IntResult(value, None)


def ramoops_value(ctx: HostContext, field: str) -> int:
    """The value ramoops ends up with for a numeric field: the last occurrence when the kernel
    accepts it, else the default (a rejected value leaves the default, fs/pstore/ram.c)."""
    kind, default = RAMOOPS_PARAMS[field]
    p = ramoops_last(ctx, field)
    assert default is not None
    if p is None or p.value is None:
        return default
    r = kstrto(kind, p.value)
    return default if r.value is None else r.value


# --- ramoops zone layout ---------------------------------------------------------------------


def rounddown_pow_of_two(n: int) -> int:
    """``rounddown_pow_of_two()`` for n > 0."""
    return 1 << (n.bit_length() - 1)


@dataclass(frozen=True, slots=True)
class Layout:
    """What ``ramoops_probe()`` does with a region of ``mem_size`` bytes.

    ``sizes`` are the four zone sizes after power-of-two rounding; ``error`` the probe's own
    message when it fails (None: it succeeds); ``dmesg_count``/``dmesg_zone`` the dmesg records.
    """

    mem_size: int
    sizes: dict[str, int]
    order: tuple[str, ...]
    error: str | None
    dmesg_count: int
    dmesg_zone: int


def layout(mem_size: int, sizes: dict[str, int], pmsg_first: bool) -> Layout:
    """``ramoops_probe()`` zone by zone (K6.12 fs/pstore/ram.c; fs/pstore/ram.c ramoops_probe()).

    ``pmsg_first``: the 6.2+ order (dmesg, console, pmsg, ftrace); else dmesg, console, ftrace,
    pmsg. ftrace is split per CPU, which needs the CPU count; only the room check is done for it.
    """
    rounded = {k: (rounddown_pow_of_two(v) if v else 0) for k, v in sizes.items()}
    order = (
        ("console_size", "pmsg_size", "ftrace_size")
        if pmsg_first
        else ("console_size", "ftrace_size", "pmsg_size")
    )
    label = {"console_size": "console", "ftrace_size": "ftrace", "pmsg_size": "pmsg"}
    full = ("dmesg", *(label[k] for k in order))

    def done(error: str | None, count: int = 0, zone: int = 0) -> Layout:
        return Layout(mem_size, rounded, full, error, count, zone)

    if mem_size == 0 or not any(rounded.values()):
        return done("The memory size and the record/console size must be non-zero")
    record = rounded["record_size"]
    area = (
        mem_size - rounded["console_size"] - rounded["ftrace_size"] - rounded["pmsg_size"]
    ) & U64
    used = 0
    count = zone = 0
    if area and record:
        count = (area // record) & 0xFFFFFFFF  # *cnt is an unsigned int
        if count == 0:
            return done(f"dmesg record count == 0 ({area} / {record})")
        if area > mem_size:
            return done(
                f"no room for dmesg mem region ({area:#x}@offset 0) in ({mem_size:#x}): the "
                "console, ftrace and pmsg zones alone are larger than the region"
            )
        zone = (area // count) & ~1
        if zone == 0:
            return done("dmesg zone size == 0")
        used = zone * count
    for key in order:
        sz = rounded[key]
        if not sz:
            continue
        if used + sz > mem_size:
            return done(
                f"no room for {label[key]} mem region ({sz:#x}@offset {used:#x}) in "
                f"({mem_size:#x})",
                count,
                zone,
            )
        used += sz
    return done(None, count, zone)


# --- trace_instance --------------------------------------------------------------------------

TRACE_FLAGS = ("traceoff", "printk", "traceprintk", "trace_printk")


@dataclass(frozen=True, slots=True)
class Instance:
    """One ``trace_instance=`` instance as ``enable_instances()`` (K6.12 kernel/trace/trace.c)
    splits it: the first ``,`` token, ``^`` and ``@`` found with ``strchr`` in that token and
    both cut there (so flags may follow the target and a target may follow the flags).

    Offsets are character offsets in the command line. ``target`` is None without ``@``.
    """

    param: Param
    token: str
    offset: int
    name: str
    flags: tuple[tuple[str, int], ...]
    target: str | None
    target_offset: int | None
    events: tuple[str, ...]


def _piece(token: str, start: int, cuts: list[int]) -> str:
    """The C string starting at ``start`` in ``token`` after NULs were written at ``cuts``."""
    ends = [c for c in cuts if c >= start] + [len(token)]
    return token[start : min(ends)]


def instances(param: Param) -> list[Instance]:
    """Every instance of one ``trace_instance=`` parameter.

    ``boot_instance()`` joins the values with a tab and ``enable_instances()`` splits them on
    tabs again, so a (quoted) value holding a tab is two instances.
    """
    if param.value is None:
        return []
    base = param.value_start if param.value_start is not None else param.start
    out: list[Instance] = []
    pos = 0
    for chunk in param.value.split("\t"):
        token, _, rest = chunk.partition(",")
        flag_at = token.find("^")
        addr_at = token.find("@")
        cuts = [c for c in (flag_at, addr_at) if c >= 0]
        name = _piece(token, 0, cuts)
        flags: list[tuple[str, int]] = []
        if flag_at >= 0:
            text = _piece(token, flag_at + 1, cuts)
            at = flag_at + 1
            for flag in text.split("^"):
                flags.append((flag, base + pos + at))
                at += len(flag) + 1
        target = target_offset = None
        if addr_at >= 0:
            target = _piece(token, addr_at + 1, cuts)
            target_offset = base + pos + addr_at + 1
        events = tuple(e for e in rest.split(",") if e) if rest else ()
        out.append(
            Instance(param, token, base + pos, name, tuple(flags), target, target_offset, events)
        )
        pos += len(chunk) + 1
    return out


def all_instances(ctx: HostContext) -> list[Instance]:
    """Every instance of every ``trace_instance=`` kernel parameter, in order."""
    return [i for p in ctx.cmdline.named("trace_instance") for i in instances(p)]


def names_region(target: str | None) -> bool:
    """Whether ``@target`` is the region-name form (anything not starting with a digit)."""
    return target is not None and target != "" and not "0" <= target[0] <= "9"


def consumers_of(ctx: HostContext) -> dict[str, list[tuple[str, Param, int]]]:
    """Region name -> the consumers that look it up, as (what, param, offset of the name).

    ``what`` is ``ramoops`` (the winning ``ramoops.mem_name``) or ``trace_instance NAME``.
    Support by the kernel is not checked here (MM407 owns that).
    """
    out: dict[str, list[tuple[str, Param, int]]] = {}
    p = ramoops_last(ctx, "mem_name")
    if p is not None and p.value:
        start = p.value_start if p.value_start is not None else p.start
        out.setdefault(p.value, []).append(("ramoops", p, start))
    for inst in all_instances(ctx):
        if inst.target is not None and names_region(inst.target):
            assert inst.target_offset is not None
            out.setdefault(inst.target, []).append(
                (f"trace_instance {inst.name}", inst.param, inst.target_offset)
            )
    return out
