"""The repairs whose right text is certain, one generator per kind.

Each generator looks at one boot entry and yields :class:`Piece` s: the file edits and what they
do to that entry's command line. Pieces with the same edits (one line feeding several entries)
become one fix (:mod:`memmap_lint.fix.plan`), which is applied only if reading the edited files
again gives every entry exactly the command line the pieces promise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from memmap_lint.bootconfig.dollars import LostDollar, escaped, index_of, lost_dollars, percent_form
from memmap_lint.bootconfig.loader import parse_boot_text
from memmap_lint.fix.model import SAFE, UNSAFE, Change, Edit, Target
from memmap_lint.fix.where import remove, replace
from memmap_lint.kernel.cmdline import Cmdline, Param, parse
from memmap_lint.kernel.consumers import RAMOOPS_PARAMS, ZONES, charp_too_long, read_ramoops
from memmap_lint.kernel.model import MAINLINE, RFC
from memmap_lint.kernel.params import memmap_items, read_memmap_item, read_reserve_mem

#: ``E820_MAP_NAME_SIZE`` (RFC) and ``RESERVE_MEM_NAME_SIZE`` (mm/memblock.c): 16 with the NUL.
NAME_SIZE = 16


@dataclass(frozen=True, slots=True)
class Piece:
    """Part of a fix, as seen from one entry."""

    code: str
    title: str
    applicability: str
    edits: tuple[Edit, ...]
    change: Change
    why: str = ""


# ------------------------------------------------------------------ `$` (MM501)


def _escaped(word: str, kind: str, quote: str) -> str | None:
    """``word`` with every ``$`` written so that it reaches the kernel through ``kind``.

    /etc/default/grub is sourced by sh (grub-mkconfig) and its value copied into grub.cfg, where
    GRUB's lexer reads it again: ``\\\\\\$`` in double quotes or bare, ``\\$`` in single quotes.
    grub.cfg is read by GRUB alone: ``\\$`` (double quotes do not protect ``$`` there).
    """
    if kind == "grub-default":
        esc = "\\$" if quote == "'" else "\\\\\\$"
    elif kind == "grub-cfg" and quote != "'":
        esc = "\\$"
    else:
        return None
    return escaped(word, esc)


def _kernel_param(t: Target, line: Cmdline, lost: LostDollar) -> Param | None:
    if lost.param in line.params:
        return lost.param
    return next(
        (p for p in line.named("memmap") if t.view.entry.origin_at(p.start) == lost.origin), None
    )


def _same_as_dollar(intended: str, percent: str) -> bool:
    """``parse_memmap_one`` does the same with both: ``$`` adds a RESERVED (2) range and returns
    0 when the start is the piece's end; ``%`` with only ``+2`` and nothing left calls
    ``e820__range_add(start, size, 2)`` too (arch/x86/kernel/e820.c, 6.1 and 6.12)."""
    before = [_piece(x) for x in intended.partition("=")[2].split(",")]
    after = [_piece(x) for x in percent.partition("=")[2].split(",")]
    if len(before) != len(after):
        return False
    for b, a in zip(before, after, strict=True):
        if b == a:
            continue
        if b[0] != "$" or a[0] != "%" or b[3] or a[3] or a[4] != (0, 2) or b[1:3] != a[1:3]:
            return False
    return True


def _piece(text: str) -> tuple[str, int | None, int | None, str, tuple[int, int]]:
    p = parse(f"memmap={text}").params[0]
    item = read_memmap_item(p, text, 0, False)
    size = item.size.value if item.size else None
    start = item.start.value if item.start else None
    return item.form, size, start, item.trailing, (item.old_type, item.new_type)


def dollar(t: Target) -> Iterator[Piece]:
    """MM501: the ``$`` escaped for the file's front end (safe); where no escape survives (BLS,
    grubenv), ``memmap=nn%ss+2`` instead (unsafe: see ``why``)."""
    v = t.view
    line = parse(v.entry.cmdline)
    for lost in lost_dollars(v, line):
        param = _kernel_param(t, line, lost)
        text = v.sources.get(lost.origin.path)
        if param is None or text is None:
            continue
        a = index_of(text, lost.origin)
        b = a + len(lost.word)
        new = _escaped(lost.word, lost.path_kind, lost.quote)
        if new is not None:
            yield Piece(
                "MM501",
                f"escape the $ of {lost.intended} for {_front(lost.path_kind)}",
                SAFE,
                (Edit(lost.origin.path, a, b, new),),
                Change(t.index, param.start, param.end, lost.intended),
            )
            continue
        alt = percent_form(lost.intended)
        if alt is None or lost.word != lost.intended or not _same_as_dollar(lost.intended, alt):
            continue
        yield Piece(
            "MM501",
            f"write {lost.intended} as {alt} (no $ for {_front(lost.path_kind)} to expand)",
            UNSAFE,
            (Edit(lost.origin.path, a, b, alt),),
            Change(t.index, param.start, param.end, alt),
            "the e820 reservation is the same (parse_memmap_one), but on BIOS boots the "
            "decompressor's parse_memmap() (arch/x86/boot/compressed/kaslr.c) reads '%' as a "
            "memory limit of nn for physical KASLR where '$' is a range to avoid",
        )


def _front(kind: str) -> str:
    return {
        "grub-default": "sh and GRUB",
        "grub-cfg": "GRUB",
        "bls": "blscfg",
        "grubenv": "blscfg",
    }.get(kind, kind)


# ------------------------------------------------------------------ duplicates


def _accepted(p: Param) -> bool:
    """Whether ramoops takes this occurrence (kernel/params.c ``parse_one``: no value is -EINVAL;
    ``param_set_charp`` refuses more than 1024 bytes; numbers go through ``kstrto*``, which
    writes the variable only on success, lib/kstrtox.c)."""
    field = p.key.split(".", 1)[1]
    if field not in RAMOOPS_PARAMS or p.value is None:
        return False
    if RAMOOPS_PARAMS[field][0] == "charp":
        return not charp_too_long(p.value)
    return read_ramoops(p).value is not None


def duplicates(t: Target) -> Iterator[Piece]:
    """Consumer parameters given twice: ``parse_args`` (kernel/params.c) sets a ``ramoops.*``
    module parameter once per occurrence, so an accepted occurrence followed by a later accepted
    one does nothing (a refused one is kept: a module load fails on it); an exact repeat of a
    ``reserve_mem=`` is refused with -EBUSY (mm/memblock.c ``reserve_mem``), so it does nothing
    either. Removing them is safe. No rule reports them; the fix is filed under the rule of the
    consumer's setting."""
    line = parse(t.view.entry.cmdline)
    for p in line.params:
        if not p.key.startswith("ramoops.") or not _accepted(p):
            continue
        later = [q for q in line.named(p.key) if q.start > p.start and _accepted(q)]
        if later:
            field = p.key.split(".", 1)[1]
            code = {"mem_name": "MM401", "mem_address": "MM404", "mem_size": "MM404"}.get(
                field, "MM403" if field in ZONES else "MM410"
            )
            yield from _removal(t, p, code, f"{p.raw} is replaced by the later {later[-1].raw}")
    seen: set[str] = set()
    # Before 6.11 reserve_mem= is unknown and goes to init's environment: nothing to collapse.
    for p in line.named("reserve_mem") if t.kernel.has_reserve_mem else ():
        if p.value is not None and p.value in seen:
            yield from _removal(t, p, "MM203", f"{p.raw} repeats an earlier reserve_mem= (-EBUSY)")
        elif p.value is not None:
            seen.add(p.value)


def _removal(t: Target, p: Param, code: str, why: str) -> Iterator[Piece]:
    found = remove(t, p)
    if found is not None:
        edit, change = found
        yield Piece(code, f"remove {p.raw}: {why}", SAFE, (edit,), change)


# ------------------------------------------------------------------ renames (MM202, MM203)


def _names(line: Cmdline, t: Target) -> list[tuple[Param, str]]:
    """Region names as the dialect records them, with their parameter."""
    out: list[tuple[Param, str]] = []
    for p in line.named("reserve_mem"):
        spec = read_reserve_mem(p, p.value)
        if spec.name and t.kernel.dialect == MAINLINE:
            out.append((p, spec.name))
    if t.kernel.dialect == RFC:
        for p in line.named("memmap"):
            for item in memmap_items(p, True):
                if item.form == "*" and item.name:
                    out.append((p, item.name.split(",", 1)[0]))
    return out


def _short(name: str, taken: set[str]) -> str | None:
    """A name of at most 15 bytes, not taken, made from ``name`` (its start, then a digit)."""
    raw = name.encode("utf-8", "surrogateescape")
    for cut, suffix in [(NAME_SIZE - 1, "")] + [(NAME_SIZE - 2, str(d)) for d in range(2, 10)]:
        base = raw[:cut].decode("utf-8", "ignore") + suffix
        if base and base not in taken and len(base.encode("utf-8", "surrogateescape")) < NAME_SIZE:
            return base
    return None


def renames(t: Target) -> Iterator[Piece]:
    """MM202/MM203: a name of 16 bytes or more shortened, in the region and in every consumer
    that names it (``ramoops.mem_name``, ``trace_instance=..@name``); a later duplicate renamed.
    Unsafe: other software that looks the region up by name (``reserve_mem_find_by_name``) must
    follow."""
    line = parse(t.view.entry.cmdline)
    named = _names(line, t)
    taken = {n for _p, n in named}
    seen: set[str] = set()
    for p, name in named:
        long = len(name.encode("utf-8", "surrogateescape")) >= NAME_SIZE
        dup = name in seen
        seen.add(name)
        if not (long or dup) or "," in name:
            continue
        new = _short(name, taken)
        if new is None or not re.fullmatch(r"[A-Za-z0-9_.-]+", new):
            continue
        taken.add(new)
        uses = [p] if dup else [p, *_consumers(line, name)]
        edits: list[Edit] = []
        changes: list[Change] = []
        for q in uses:
            found = replace(t, q, _renamed(q, name, new))
            if found is None:
                break
            edits.append(found[0])
            changes.append(found[1])
        else:
            code = "MM203" if dup else "MM202"
            what = f"rename the region '{name}' to '{new}'" + ("" if dup else " and its consumers")
            for c in changes:
                yield Piece(
                    code,
                    what,
                    UNSAFE,
                    tuple(edits),
                    c,
                    "software that finds the region by name must use the new name",
                )


def _consumers(line: Cmdline, name: str) -> list[Param]:
    out = [p for p in line.named("ramoops.mem_name") if p.value == name]
    out += [p for p in line.named("trace_instance") if _target_re(name).search(p.raw)]
    return out


def _target_re(name: str) -> re.Pattern[str]:
    return re.compile("@" + re.escape(name) + r"(?=[,^\s]|$)")


def _renamed(p: Param, old: str, new: str) -> str:
    if p.key == "reserve_mem":
        return p.raw[: len(p.raw) - len(old)] + new if p.raw.endswith(old) else p.raw
    if p.key == "memmap":
        return re.sub(
            r"(\*[^,:]*:)" + re.escape(old) + r"(?=,|$)", lambda m: m.group(1) + new, p.raw, count=1
        )
    if p.key == "ramoops.mem_name":
        return f"{p.name}={new}"
    return _target_re(old).sub("@" + new, p.raw)


# ------------------------------------------------------------------ reserve_mem migration (MM105)


def migration(t: Target) -> Iterator[Piece]:
    """MM105 on 6.11+: ``memmap=nn*align:name`` (a memory limit of nn there) becomes
    ``reserve_mem=nn:align:name``, which the consumers already naming the region find
    (``reserve_mem_find_by_name``). Unsafe: the region moves (memblock allocates it, at an
    address the RFC would not have chosen), so what it held before the reboot is not found."""
    if t.kernel.dialect != MAINLINE or not t.kernel.has_reserve_mem:
        return
    line = parse(t.view.entry.cmdline)
    for p in line.named("memmap"):
        items = memmap_items(p, True)
        wild = [i for i in items if i.form == "*" and i.name and i.size and i.align]
        if not wild:
            continue
        rest = [i.text for i in items if i not in wild]
        new = [f"reserve_mem={i.text.replace('*', ':', 1)}" for i in wild]
        if any(read_reserve_mem(q, q.value).error for q in parse(" ".join(new)).params):
            continue
        text = " ".join(([f"{p.name}={','.join(rest)}"] if rest else []) + new)
        found = replace(t, p, text)
        if found is None:
            continue
        yield Piece(
            "MM105",
            f"replace {p.raw} by {text} (6.11+ has reserve_mem=; the wildcard is a memory limit there)",
            UNSAFE,
            (found[0],),
            found[1],
            "the region is allocated by memblock at another address: what it held is not found "
            "after this reboot",
        )


# ------------------------------------------------------------------ a value split over lines (MM505)

_CMDLINE_VARS = ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT")
_BREAK = re.compile(r"\n[ \t]*")


def _joiner(text: str, at: int) -> str:
    """What a line break at ``at`` becomes: nothing after a ``,`` (the list goes on), else a
    space, which is what the kernel's tokenizer makes of a line break anyway (isspace)."""
    return "" if text[:at].rstrip(" \t").endswith(",") else " "


def _joined_text(text: str) -> str:
    return _BREAK.sub(lambda m: _joiner(text, m.start()), text)


def _grub_reads(words: str, title: str) -> str | None:
    """What GRUB's lexer makes of ``words`` on a ``linux`` line of the entry ``title`` (10_linux
    copies the value into grub.cfg as it is, so a ``$`` in it is expanded there)."""
    leaf = title.rsplit(">", 1)[-1].replace("'", "'\\''")
    head = "BOOT_IMAGE=/vmlinuz"
    cfg = f"menuentry '{leaf}' {{\n\tlinux\t/vmlinuz {words.strip()}\n}}\n"
    entries = parse_boot_text(cfg, "grub-cfg").entries
    if len(entries) != 1 or not entries[0].cmdline.startswith(head):
        return None
    got = entries[0].cmdline[len(head) :]
    return got if words[:1] in ("", " ") else got.lstrip(" ")


def split_value(t: Target) -> Iterator[Piece]:
    """MM505: a ``GRUB_CMDLINE_*`` value running over lines, joined. 10_linux writes the value
    into grub.cfg's ``linux`` line as it is (``echo "... ro ${args}"``), so the line break ends
    the command there and the kernel gets only what precedes it. A break joined with a space
    means what the author wrote (the kernel reads a line break as a space); a break after a
    ``,`` is joined with nothing, continuing the ``memmap=`` list, which is a guess (unsafe)."""
    v = t.view
    if v.config.kind != "grub-default":
        return
    values = {n: v.config.variables[n] for n in _CMDLINE_VARS if n in v.config.variables}
    split = [n for n, a in values.items() if "\n" in a.value]
    if len(split) != 1:
        return
    a = values[split[0]]
    edits: list[Edit] = []
    for m in _BREAK.finditer(a.value):
        at = next(((s, o) for s, e, o in a.value_origins if s <= m.start() < e), None)
        text = v.sources.get(at[1].path) if at is not None else None
        if at is None or text is None:
            return
        off = index_of(text, at[1].shifted(m.start() - at[0]))
        if text[off : off + len(m.group())] != m.group():
            return
        edits.append(Edit(at[1].path, off, off + len(m.group()), _joiner(a.value, m.start())))
    linux = values.get("GRUB_CMDLINE_LINUX")
    default = values.get("GRUB_CMDLINE_LINUX_DEFAULT")
    lx = linux.value if linux is not None else ""
    args = (
        f"single {lx}" if v.entry.kind == "recovery" else f"{lx} {default.value if default else ''}"
    )
    cut = args.find("\n")
    if cut < 0:
        return
    line = v.entry.cmdline
    end = len(line.rstrip(" \t"))
    tail = _grub_reads(_joined_text(args)[len(_joined_text(args[:cut])) :], v.entry.title)
    if tail is None:
        return
    unsafe = any(e.text == "" for e in edits)
    yield Piece(
        "MM505",
        f"join {split[0]}'s value on one line",
        UNSAFE if unsafe else SAFE,
        tuple(edits),
        Change(t.index, end, len(line), tail.rstrip(" \t")),
        "a line break after ',' is joined with nothing, continuing the list: check that the "
        "next line was meant as more of it"
        if unsafe
        else "",
    )


#: Every kind, in the order their fixes are tried.
KINDS: tuple[Callable[[Target], Iterator[Piece]], ...] = (
    split_value,
    dollar,
    duplicates,
    renames,
    migration,
)
