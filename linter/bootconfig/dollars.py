"""Where a ``$`` written in a boot file is lost before the kernel sees it (sh, GRUB, blscfg).

Shared by MM501, which reports it, and the fix machinery, which rewrites the word with the escape
the file's front end needs (or the ``%`` form where no escape exists).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from memmap_lint.bootconfig.model import BootEntry, Origin
from memmap_lint.bootconfig.view import BootView
from memmap_lint.kernel.cmdline import Cmdline, Param, parse

#: The note the BLS front end adds when blscfg's expand_val changes the command line.
EXPAND_VAL_NOTE = "with blscfg's expand_val (newer rhboot builds) the kernel gets instead: "


@dataclass(frozen=True)
class LostDollar:
    """A ``$`` written in a boot file that does not reach the kernel as a ``$``."""

    param: Param  # the parameter the kernel receives instead
    word: str  # the word as written in the file
    origin: Origin  # where the word starts
    dollar: Origin  # where the (first) lost `$` is
    quote: str  # quoting around the `$` in the file: '', "'" or '"'
    backslashes: int  # backslashes written right before the `$`
    path_kind: str  # grub-default | grub-cfg | bls | grubenv
    layer: str  # who expands it, in words
    intended: str  # the parameter as the author meant it


def _file_kind(v: BootView, path: str) -> str:
    if v.config.kind == "bls" and not path.endswith(".conf"):
        return "grubenv"
    if v.config.kind == "grub-cfg" and path.rsplit("/", 1)[-1] == "grubenv":
        return "grubenv"
    return v.config.kind


def index_of(text: str, origin: Origin) -> int:
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[: origin.line - 1]) + origin.column - 1


def _quote_state(text: str, end: int, kind: str) -> str:
    """The quoting open at index ``end`` of ``text`` (sh for GRUB defaults, GRUB's otherwise)."""
    start = text.rfind("\n", 0, end) + 1 if kind in ("grubenv", "bls") else 0
    state = ""
    i = start
    while i < end:
        c = text[i]
        if state == "":
            if c == "#" and (i == 0 or text[i - 1] in " \t\n;"):
                nl = text.find("\n", i)
                if nl < 0 or nl >= end:
                    return ""
                i = nl
                continue
            if c == "\\":
                i += 2
                continue
            if c in "'\"" and kind != "grubenv":
                state = c
        elif state == "'":
            if c == "'":
                state = ""
        else:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                state = ""
        i += 1
    return state


def _word_end(text: str, start: int) -> int:
    i = start
    while i < len(text) and text[i] not in " \t\n":
        i += 2 if text[i] == "\\" and text[i + 1 : i + 2] != "\n" else 1
    return min(i, len(text))


def _intended(word: str) -> str:
    """The word without shell/GRUB quoting: what its author meant the kernel to get."""
    out = re.sub(r"\\+\$", "$", word)
    return out.replace('"', "").replace("'", "")


def _layer(kind: str, quote: str, backslashes: int, after: str) -> str:
    digits = re.match(r"\{?([0-9]+)", after)
    name = digits.group(1) if digits else ""
    if kind == "grub-default" and quote != "'" and backslashes % 2 == 0:
        return (
            f"sh (grub-mkconfig sources this file) expands ${name[:1]} to nothing, then the "
            "rest goes into grub.cfg"
        )
    if kind == "grubenv":
        m = re.match(r"[A-Za-z0-9_]*", after)
        return (
            f"blscfg's expand_val (newer rhboot builds; older ones pass it intact) takes "
            f"${m.group() if m else ''} for a variable name and replaces it with nothing"
        )
    return (
        f"GRUB expands ${name} (a positional parameter: empty, or the entry's title for $1) "
        "to nothing"
    )


def lost_dollars(v: BootView, cmdline: Cmdline) -> Iterator[LostDollar]:
    """``memmap=`` words whose ``$`` (before a digit) the boot tooling swallows."""
    kept: set[Origin] = set()
    for i, ch in enumerate(v.entry.cmdline):
        if ch == "$":
            o = v.entry.origin_at(i)
            if o is not None:
                kept.add(o)
    alt = _expand_val_variant(v.entry)
    alt_memmaps = alt.named("memmap") if alt is not None else []
    for n, param in enumerate(cmdline.named("memmap")):
        origin = v.entry.origin_at(param.start)
        if origin is None:
            continue
        text = v.sources.get(origin.path)
        if text is None:
            continue
        kind = _file_kind(v, origin.path)
        start = index_of(text, origin)
        end = _word_end(text, start)
        word = text[start:end]
        alt_param = alt_memmaps[n] if n < len(alt_memmaps) else None
        for j in range(start, end):
            if text[j] != "$" or not re.match(r"\{?[0-9]", text[j + 1 : j + 3]):
                continue
            line = text.count("\n", 0, j) + 1
            col = j - (text.rfind("\n", 0, j) + 1) + 1
            dollar = Origin(origin.path, line, col)
            b = 0
            while j - b - 1 >= start and text[j - b - 1] == "\\":
                b += 1
            quote = _quote_state(text, j, kind)
            if dollar in kept:
                if alt_param is None or alt_param.raw == param.raw:
                    continue
                # Intact with the older blscfg; expand_val swallows it.
                yield LostDollar(
                    alt_param,
                    word,
                    origin,
                    dollar,
                    quote,
                    b,
                    kind,
                    _layer("grubenv", quote, b, text[j + 1 :]),
                    _intended(word),
                )
                break
            yield LostDollar(
                param,
                word,
                origin,
                dollar,
                quote,
                b,
                kind,
                _layer(kind, quote, b, text[j + 1 :]),
                _intended(word),
            )
            break


def _expand_val_variant(entry: BootEntry) -> Cmdline | None:
    for note in entry.notes:
        if note.startswith(EXPAND_VAL_NOTE):
            return parse(note[len(EXPAND_VAL_NOTE) :])
    return None


def escaped(word: str, escape: str) -> str:
    """``word`` with each ``$`` (and the backslashes written before it) replaced by ``escape``."""
    out = []
    i = 0
    while i < len(word):
        if word[i] == "\\" or word[i] == "$":
            j = i
            while j < len(word) and word[j] == "\\":
                j += 1
            if j < len(word) and word[j] == "$":
                out.append(escape)
                i = j + 1
                continue
        out.append(word[i])
        i += 1
    return "".join(out)


def written_fix(lost: LostDollar) -> str:
    """The parameter as its file must be written for its ``$`` to reach the kernel."""
    if lost.path_kind == "grub-default":
        return escaped(lost.intended, "\\$" if lost.quote == "'" else "\\" * 3 + "$")
    if lost.path_kind == "grub-cfg":
        return escaped(lost.intended, "\\$")
    return percent_form(lost.intended) or lost.intended


def percent_form(intended: str) -> str | None:
    """``memmap=nn$ss`` written without ``$``: ``memmap=nn%ss+2`` (the same e820__range_add)."""
    name, eq, value = intended.partition("=")
    if not eq:
        return None
    pieces = value.split(",")
    changed = False
    for i, piece in enumerate(pieces):
        m = re.fullmatch(r"([^$%]+)\$([^$]+)", piece)
        if m:
            pieces[i] = f"{m.group(1)}%{m.group(2)}+2"
            changed = True
    return f"{name}={','.join(pieces)}" if changed else None
