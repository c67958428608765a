"""The consumers of named regions as the kernel reads them: ramoops and ``trace_instance=``.

ramoops (fs/pstore/ram.c) takes module parameters set with ``kstrto*`` and looks a region up by
``ramoops.mem_name`` (6.11+ ``reserve_mem_find_by_name()``, the RFC's patch 2/2
``memmap_named()``); ``ramoops_probe()`` then lays its zones out in the region. Tracing
(kernel/trace/trace.c ``boot_instance()``/``enable_instances()``) creates the instances of
``trace_instance=`` and maps ``@region`` or ``@address:size`` (6.12+).
"""

from __future__ import annotations

from dataclasses import dataclass

from memmap_lint.kernel.cmdline import Cmdline, Param
from memmap_lint.kernel.model import RESERVE_MEM, RFC, WILDCARD, Simulation
from memmap_lint.kernel.names import kind_supported, mentions
from memmap_lint.kernel.release import Kernel
from memmap_lint.kernel.sizes import U64, KstrtoulResult, Parsed, kstrto, memparse

#: ``trace_instance=``: "tracing: Add creation of instances at boot command line" (commit
#: cb1f98c5e574, February 2023, first in 6.3).
TRACE_INSTANCE_SINCE = (6, 3, 0)
#: ``@addr:size``, ``@region`` and the ``^flag`` syntax of enable_instances(): 6.12.
TRACE_AT_SINCE = (6, 12, 0)
#: "pstore/ram: Move pmsg init earlier" (Kees Cook, pstore pull for 6.2): before it the zones
#: are dmesg, console, ftrace, pmsg (6.1); after it dmesg, console, pmsg, ftrace (6.12).
PMSG_BEFORE_FTRACE_SINCE = (6, 2, 0)
#: The kernel feature that declares ramoops built in (CONFIG_PSTORE_RAM=y).
RAMOOPS_BUILTIN_FEATURE = "ramoops-builtin"


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


#: kernel/params.c ``param_set_charp()``: ``strnlen(val, 1024 + 1)``; longer is -ENOSPC.
CHARP_MAX = 1024


def charp_too_long(value: str) -> bool:
    """Whether ``param_set_charp()`` refuses ``value`` ("string parameter too long")."""
    return len(value.encode("utf-8", "surrogateescape")) > CHARP_MAX


def ramoops_params(cmdline: Cmdline) -> list[Param]:
    """The kernel parameters addressed to ramoops (``ramoops.*``), in order."""
    return [p for p in cmdline.params if p.key.startswith("ramoops.")]


def ramoops_last(cmdline: Cmdline, field: str) -> Param | None:
    """The occurrence of ``ramoops.<field>`` that wins (module parameters: the last one)."""
    return cmdline.last(f"ramoops.{field}")


def read_ramoops(param: Param) -> KstrtoulResult:
    """A numeric ``ramoops.<field>=`` as ``param_set_*()`` reads it: ``kstrto*`` of its type;
    no value is -EINVAL for every type but bool."""
    kind = RAMOOPS_PARAMS[param.key.split(".", 1)[1]][0]
    if param.value is None:
        return KstrtoulResult(None, "EINVAL")
    return kstrto(kind, param.value)


def ramoops_value(cmdline: Cmdline, field: str) -> int:
    """The value ramoops ends up with for a numeric field.

    ``parse_args()`` sets each occurrence in turn and ``kstrtoul()`` writes the variable only on
    success (lib/kstrtox.c), so the last accepted occurrence wins; with none, the default.
    """
    default = RAMOOPS_PARAMS[field][1]
    assert default is not None
    value = default
    for p in cmdline.named(f"ramoops.{field}"):
        r = read_ramoops(p)
        if r.value is not None:
            value = r.value
    return value


def ramoops_kind(kernel: Kernel) -> str:
    """Which table ``ramoops.mem_name`` is looked up in: the RFC's patch 2/2 calls
    ``memmap_named()``; mainline (6.11+) ``reserve_mem_find_by_name()``."""
    return WILDCARD if kernel.dialect == RFC else RESERVE_MEM


def region_size(
    cmdline: Cmdline, kernel: Kernel, sim: Simulation | None, name: str, kind: str
) -> int | None:
    """The size a lookup of ``name`` in the ``kind`` table returns.

    With a simulation, exactly what the kernel finds; without one, the first request of that
    kind and name that the kernel accepts, assuming it fits.
    """
    if sim is not None:
        r = sim.region(name, kind)
        return r.size if r is not None else None
    if not kind_supported(kernel, kind):
        return None
    for m in mentions(cmdline):
        if m.where == "params" and m.kind == kind and m.name == name and m.valid:
            return m.size or None
    return None


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
    """``ramoops_probe()`` zone by zone (fs/pstore/ram.c, 6.12).

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
    """One ``trace_instance=`` instance as ``enable_instances()`` (kernel/trace/trace.c, 6.12)
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

    @property
    def first_mark(self) -> int | None:
        """Offset of the first ``@`` or ``^`` in the token (where 6.12's syntax starts)."""
        marks = [i for i in (self.token.find("@"), self.token.find("^")) if i >= 0]
        return self.offset + min(marks) if marks else None

    @property
    def flag_names(self) -> tuple[str, ...]:
        return tuple(f for f, _ in self.flags)

    @property
    def names_region(self) -> bool:
        """``@target`` is the region-name form: ``enable_instances()`` takes the address form
        only when the target starts with a digit (``isdigit(*tok)``)."""
        return bool(self.target) and not "0" <= (self.target or "0")[0] <= "9"


def _piece(token: str, start: int, cuts: list[int]) -> str:
    """The C string starting at ``start`` in ``token`` after NULs were written at ``cuts``."""
    ends = [c for c in cuts if c >= start] + [len(token)]
    return token[start : min(ends)]


def instances(param: Param) -> list[Instance]:
    """Every instance of one ``trace_instance=`` parameter.

    ``boot_instance()`` appends the value and a tab; ``enable_instances()`` splits on tabs with
    ``strsep()``, which yields empty strings too, so a (quoted) value holding a tab is two
    instances and an empty value is one instance with an empty name.
    """
    if param.value is None:
        return []
    base = param.value_offset
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


def all_instances(cmdline: Cmdline) -> list[Instance]:
    """Every instance of every ``trace_instance=`` kernel parameter, in order."""
    return [i for p in cmdline.named("trace_instance") for i in instances(p)]


@dataclass(frozen=True, slots=True)
class Mapping:
    """``@address:size`` as ``enable_instances()`` reads it: ``start = memparse(tok)``, then a
    ``:`` (``colon``), then ``size = memparse(tok)``; ``size`` is None without the colon."""

    start: Parsed
    colon: bool
    size: Parsed | None

    @property
    def trailing(self) -> int | None:
        """Where text the kernel ignores starts after the size, in the target (None: none)."""
        return None if self.size is None else self.size.end


def read_mapping(target: str) -> Mapping:
    """The address form of a target (one that starts with a digit)."""
    start = memparse(target)
    if target[start.end : start.end + 1] != ":":
        return Mapping(start, False, None)
    return Mapping(start, True, memparse(target, start.end + 1))


def mapped_range(inst: Instance) -> tuple[int, int] | None:
    """The physical range [start, end) an address-form instance maps, when the kernel maps one."""
    t = inst.target
    if not t or inst.names_region:
        return None
    m = read_mapping(t)
    if not m.start.value or m.size is None or not m.size.value:
        return None
    return m.start.value, m.start.value + m.size.value


# --- who looks up which name -----------------------------------------------------------------


def consumers_of(cmdline: Cmdline) -> dict[str, list[tuple[str, Param, int]]]:
    """Region name -> the consumers that look it up, as (what, param, offset of the name).

    ``what`` is ``ramoops`` (the winning ``ramoops.mem_name``) or ``trace_instance NAME``.
    Whether the kernel supports the consumer is not checked here.
    """
    out: dict[str, list[tuple[str, Param, int]]] = {}
    p = ramoops_last(cmdline, "mem_name")
    if p is not None and p.value:
        out.setdefault(p.value, []).append(("ramoops", p, p.value_offset))
    for inst in all_instances(cmdline):
        if inst.target is not None and inst.names_region:
            assert inst.target_offset is not None
            out.setdefault(inst.target, []).append(
                (f"trace_instance {inst.name}", inst.param, inst.target_offset)
            )
    return out
