"""The kernel command line as lib/cmdline.c ``next_arg()`` and kernel/params.c ``parse_args()`` see it.

Every parameter keeps its span in the original text so that findings can point at the exact
characters (and, for boot files, at file:line:col).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: x86 ``COMMAND_LINE_SIZE``: at most 2047 bytes are parsed (strscpy into a 2048-byte buffer).
COMMAND_LINE_SIZE = 2048

# lib/ctype.c: _S for 0x09-0x0D and 0x20, _S|_SP for 0xA0 (NBSP in Latin-1).
_SPACE = frozenset("\t\n\v\f\r \xa0")


def isspace(c: str) -> bool:
    """The kernel's ``isspace()`` on one byte (given as a Latin-1 character)."""
    return c in _SPACE


def normalize_name(name: str) -> str:
    """``dash2underscore`` applied to a whole name, as ``parameq()`` compares."""
    return name.replace("-", "_")


@dataclass(frozen=True, slots=True)
class Param:
    """One token: ``name`` and ``value`` after next_arg's quote handling.

    ``start``/``end`` delimit the token in the original text; ``value_start`` is the index of the
    value's first character (None without ``=``). Indices are character offsets of the original
    text.
    """

    index: int
    name: str
    value: str | None
    start: int
    end: int
    value_start: int | None
    raw: str
    after_dashdash: bool = False

    @property
    def key(self) -> str:
        """The name as the kernel matches it (``-`` and ``_`` are the same)."""
        return normalize_name(self.name)

    @property
    def value_offset(self) -> int:
        """Where the value starts in the command line (the token's start without ``=``)."""
        return self.value_start if self.value_start is not None else self.start


@dataclass(frozen=True, slots=True)
class Cmdline:
    """A tokenized command line.

    ``params`` are the kernel's parameters (before a bare ``--``), ``init_args`` what follows it.
    ``truncated_at`` is the character index where the kernel's 2047-byte copy ends, when the text is
    longer than that (tokens past it are lost; a token crossing it is cut).
    """

    text: str
    params: tuple[Param, ...]
    init_args: tuple[Param, ...] = ()
    truncated_at: int | None = None
    dropped: tuple[Param, ...] = field(default=())
    #: The bare ``--`` that ends the kernel's part (``parse_args()`` stops there), if any.
    separator: Param | None = None

    def tokens(self) -> list[Param]:
        """Every token the kernel reads, in order: parameters, the ``--``, what follows it."""
        sep = (self.separator,) if self.separator is not None else ()
        return [*self.params, *sep, *self.init_args]

    def named(self, *names: str) -> list[Param]:
        """Kernel parameters whose normalized name is one of ``names``, in order."""
        keys = {normalize_name(n) for n in names}
        return [p for p in self.params if p.key in keys]

    def last(self, name: str) -> Param | None:
        """The occurrence that wins for a module/core parameter (the last one)."""
        found = self.named(name)
        return found[-1] if found else None


def open_quote(text: str) -> int | None:
    """Index of the ``"`` left open at the end of ``text`` as ``next_arg()`` toggles quotes."""
    in_quote = False
    opened: int | None = None
    for i, c in enumerate(text):
        if c == '"':
            in_quote = not in_quote
            opened = i if in_quote else None
    return opened if in_quote else None


def swallowing(cmdline: Cmdline) -> Param | None:
    """The parameter that an unclosed quote turned into the rest of the line."""
    at = open_quote(cmdline.text)
    if at is None:
        return None
    return next((p for p in (*cmdline.params, *cmdline.init_args) if p.start <= at < p.end), None)


def swallowed(cmdline: Cmdline) -> list[Param]:
    """The tokens an unclosed quote swallows: what ``next_arg()`` would have read after the first
    space that follows the quote, had the quote been closed (empty without an open quote)."""
    text = cmdline.text
    at = open_quote(text)
    if at is None:
        return []
    rest_at = next((i for i in range(at + 1, len(text)) if isspace(text[i])), len(text))
    rest = parse(text[rest_at:], None)
    return [*rest.params, *rest.init_args]


def utf8(text: str) -> bytes:
    """The bytes of ``text``; lone surrogates (undecodable input) kept as they came."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _to_bytes_view(text: str) -> tuple[str, list[int]]:
    """The UTF-8 bytes of ``text`` as a Latin-1 string, with a map byte index -> char index."""
    if text.isascii():
        return text, []
    data = b"".join(utf8(ch) for ch in text)
    offsets: list[int] = []
    for ci, ch in enumerate(text):
        offsets.extend([ci] * len(utf8(ch)))
    offsets.append(len(text))
    return data.decode("latin-1"), offsets


def _next_arg(buf: str, pos: int) -> tuple[int, int, str, str | None, int | None, int]:
    """``next_arg()`` at ``pos``: (token start, token end, name, value, value index, next pos)."""
    n = len(buf)
    start = pos
    in_quote = quoted = False
    if pos < n and buf[pos] == '"':
        pos += 1
        in_quote = quoted = True
    body = pos
    i = pos
    equals = 0
    while i < n:
        c = buf[i]
        if isspace(c) and not in_quote:
            break
        if equals == 0 and c == "=":
            equals = i - body
        if c == '"':
            in_quote = not in_quote
        i += 1
    token_end = i
    # The kernel writes NULs into the buffer: emulate on a list of characters.
    chars = list(buf[body:token_end])
    length = len(chars)
    value_index: int | None = None
    if equals:
        chars[equals] = "\0"
        v = equals + 1
        if v < length and chars[v] == '"':
            v += 1
            if length and chars[length - 1] == '"':
                chars[length - 1] = "\0"
        value_index = v
    if quoted and length and chars[length - 1] == '"':
        chars[length - 1] = "\0"
    joined = "".join(chars)
    name = joined.split("\0", 1)[0]
    value: str | None = None
    if value_index is not None:
        value = joined[value_index:].split("\0", 1)[0]
        value_index += body
    nxt = token_end + 1 if token_end < n else token_end
    while nxt < n and isspace(buf[nxt]):
        nxt += 1
    return start, token_end, name, value, value_index, nxt


def parse(text: str, limit: int | None = COMMAND_LINE_SIZE - 1) -> Cmdline:
    """Tokenize ``text`` as ``parse_args()`` does: stop the kernel's part at a bare ``--``.

    ``limit`` is the number of bytes the kernel reads (None: no limit).
    """
    buf, offsets = _to_bytes_view(text)

    def char_index(b: int) -> int:
        return offsets[b] if offsets else b

    if "\0" in buf:  # the kernel's string ends at the first NUL byte
        buf = buf[: buf.index("\0")]
    dropped_text = ""
    truncated_at: int | None = None
    if limit is not None and len(buf) > limit:
        dropped_text = buf[limit:]
        buf = buf[:limit]
        truncated_at = char_index(limit)
    params: list[Param] = []
    init: list[Param] = []
    pos = 0
    n = len(buf)
    while pos < n and isspace(buf[pos]):
        pos += 1
    after = False
    separator: Param | None = None
    index = 0
    while pos < n:
        start, end, name, value, vindex, pos = _next_arg(buf, pos)
        cs, ce = char_index(start), char_index(end)
        p = Param(
            index=index,
            name=_decode(name),
            value=None if value is None else _decode(value),
            start=cs,
            end=ce,
            value_start=None if vindex is None else char_index(vindex),
            raw=text[cs:ce],
            after_dashdash=after,
        )
        index += 1
        if not after and value is None and name == "--":
            after = True
            separator = p
            continue
        (init if after else params).append(p)
    dropped: tuple[Param, ...] = ()
    if dropped_text and truncated_at is not None:
        rest = parse(text[truncated_at:], None)
        dropped = tuple(
            Param(
                q.index,
                q.name,
                q.value,
                q.start + truncated_at,
                q.end + truncated_at,
                None if q.value_start is None else q.value_start + truncated_at,
                q.raw,
                q.after_dashdash,
            )
            for q in (*rest.params, *rest.init_args)
        )
    return Cmdline(text, tuple(params), tuple(init), truncated_at, dropped, separator)


def _decode(s: str) -> str:
    """Back from the Latin-1 byte view to text (invalid UTF-8 kept as escapes)."""
    if s.isascii():
        return s
    return s.encode("latin-1").decode("utf-8", "surrogateescape")
