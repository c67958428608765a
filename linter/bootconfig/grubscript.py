"""GRUB 2 script: lexer, the commands that matter for boot entries, and the kernel command line.

Modelled on GRUB's ``grub-core/script/yylex.l`` (word grammar, SPLIT/DQUOTE/SQUOTE/VAR states),
``grub-core/script/execute.c`` (``grub_script_arglist_to_argv``, ``grub_script_env_get``,
``wildcard_escape``/``wildcard_unescape``), ``grub-core/script/argv.c`` (splitting of unquoted
variable values on `` \\t\\r\\n``), ``grub-core/normal/menu.c`` (entries run in a new scope whose
positional parameters are the entry's non-option arguments; default entry lookup) and
``grub-core/lib/cmdline.c`` (``grub_create_loader_cmdline``). Every character keeps the file
position that produced it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from memmap_lint.bootconfig.model import Assignment, Diagnostic, Origin, Traced

# yylex.l: CHAR [^{}|&$;<> \t\n\'\"\\]
_NOT_CHAR = frozenset("{}|&$;<> \t\n'\"\\")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DIGITS_RE = re.compile(r"[0-9]+")
_SPECIAL = frozenset("?#*@")
_KEYWORDS = frozenset(
    {"[[", "]]", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in"}
    | {"select", "then", "until", "while", "function"}
)
# grub_isspace(): '\n', '\r', ' ', '\t' (include/grub/misc.h)
_GRUB_SPACE = frozenset(" \t\r\n")

#: ``BOOT_IMAGE=`` prefix of the x86 linux loaders (``LINUX_IMAGE`` in loader/i386/linux.c).
LINUX_IMAGE = "BOOT_IMAGE="
#: x86 ``cmdline_size`` from the bzImage header: COMMAND_LINE_SIZE - 1
#: (arch/x86/include/asm/setup.h).
CMDLINE_SIZE = 2047
LINUX_COMMANDS = frozenset({"linux", "linuxefi", "linux16"})


class GrubSyntaxError(Exception):
    """A lexer/parser error as grub-script-check reports it, with the offending position."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


# ---------------------------------------------------------------- lexer


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a word: TEXT (escapes kept), DQSTR, SQSTR, VAR, DQVAR or GETTEXT."""

    type: str
    value: Traced
    start: int  # index of the piece in the source (for messages)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # word | newline | semi | lbr | rbr | op | eof
    start: int
    end: int
    raw: Traced
    parts: tuple[Part, ...] = ()


def _scan_variable(text: str, i: int) -> int:
    """End of the VARIABLE starting with ``$`` at ``i``, or -1 (yylex.l VARIABLE)."""
    j = i + 1
    if j >= len(text):
        return -1
    c = text[j]
    if c == "{":
        k = text.find("}", j + 1)
        if k < 0:
            return -1
        inner = text[j + 1 : k]
        if (_NAME_RE.fullmatch(inner) or _DIGITS_RE.fullmatch(inner)) or (
            len(inner) == 1 and inner in _SPECIAL
        ):
            return k + 1
        return -1
    m = _NAME_RE.match(text, j) or _DIGITS_RE.match(text, j)
    if m:
        return m.end()
    if c in _SPECIAL:
        return j + 1
    return -1


def _scan_dq(text: str, i: int) -> int:
    """End (after the closing quote) of a double-quoted string whose quote is at ``i``."""
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == "\\":
            if j + 1 >= len(text):
                break
            j += 2
            continue
        if c == '"':
            return j + 1
        j += 1
    raise GrubSyntaxError("unterminated double quote", i)


def _scan_word(text: str, i: int) -> int:
    """End of the maximal WORD at ``i`` (``i`` itself when no WORD starts there)."""
    n = len(text)
    j = i
    while j < n:
        c = text[j]
        if c not in _NOT_CHAR:
            j += 1
        elif c == '"':
            j = _scan_dq(text, j)
        elif c == "'":
            k = text.find("'", j + 1)
            if k < 0:
                raise GrubSyntaxError("unterminated single quote", j)
            j = k + 1
        elif c == "\\":
            if j + 1 >= n:
                break
            j += 2
        elif c == "$":
            if j + 1 < n and text[j + 1] == '"':
                j = _scan_dq(text, j + 1)
                continue
            k = _scan_variable(text, j)
            if k < 0:
                break
            j = k
        else:
            break
    return j


def _split_word(src: Traced, start: int, end: int) -> tuple[Part, ...]:
    """The SPLIT/DQUOTE/SQUOTE/VAR states of yylex.l applied to one WORD."""
    text = src.text
    parts: list[Part] = []
    buf: list[int] = []  # indices of characters of the current TEXT piece
    buf_start = start

    def flush(kind: str = "TEXT") -> None:
        nonlocal buf, buf_start
        parts.append(Part(kind, _pick(src, buf), buf_start))
        buf = []

    j = start
    while j < end:
        c = text[j]
        if c == "\\":
            if j + 1 < end and text[j + 1] == "\n":
                j += 2  # \\\n ignored
                continue
            buf.extend((j, j + 1) if j + 1 < end else (j,))
            j += 2
        elif c == '"' or (c == "$" and j + 1 < end and text[j + 1] == '"'):
            gettext = c == "$"
            flush()
            q = j + 1 if gettext else j
            j = q + 1
            dq: list[int] = []
            dq_start = j
            while j < end and text[j] != '"':
                d = text[j]
                if d == "\\" and j + 1 < end:
                    e = text[j + 1]
                    if e == "\n":
                        j += 2
                        continue
                    if gettext:
                        if e == "\\":
                            dq.extend((j, j + 1))
                            j += 2
                            continue
                        if e == '"':
                            dq.append(j + 1)
                            j += 2
                            continue
                    elif e in '$\\"':
                        dq.append(j + 1)
                        j += 2
                        continue
                    dq.append(j)
                    j += 1
                    continue
                if d == "$" and not gettext:
                    parts.append(Part("DQSTR", _pick(src, dq), dq_start))
                    dq = []
                    k = _scan_variable(text, j)
                    if k < 0:
                        raise GrubSyntaxError("`$` must start a variable reference", j)
                    parts.append(Part("DQVAR", _var_name(src, j, k), j))
                    j = k
                    dq_start = j
                    continue
                dq.append(j)
                j += 1
            parts.append(Part("GETTEXT" if gettext else "DQSTR", _pick(src, dq), dq_start))
            j += 1
            buf_start = j
        elif c == "'":
            flush()
            k = text.index("'", j + 1)
            parts.append(Part("SQSTR", src[j + 1 : k], j + 1))
            j = k + 1
            buf_start = j
        elif c == "$":
            flush()
            k = _scan_variable(text, j)
            parts.append(Part("VAR", _var_name(src, j, k), j))
            j = k
            buf_start = j
        else:
            buf.append(j)
            j += 1
    flush()
    return tuple(p for p in parts if p.value.text or p.type in ("VAR", "DQVAR", "DQSTR", "SQSTR"))


def _pick(src: Traced, indices: list[int]) -> Traced:
    return Traced("".join(src.text[i] for i in indices), tuple(src.origins[i] for i in indices))


def _var_name(src: Traced, i: int, k: int) -> Traced:
    if src.text[i + 1] == "{":
        return src[i + 2 : k - 1]
    return src[i + 1 : k]


def _lex(src: Traced, i: int, n: int) -> Iterator[Token]:
    """The tokens of ``src.text[i:n]`` one at a time (positions in ``src``), ending with eof."""
    text = src.text if n == len(src.text) else src.text[:n]  # a word never runs past n
    while i < n:
        c = text[i]
        if c in " \t":
            i += 1
            continue
        if c == "#":
            k = text.find("\n", i)
            i = n if k < 0 else k
            continue
        if c == "\n":
            yield Token("newline", i, i + 1, src[i : i + 1])
            i += 1
            continue
        two = text[i : i + 2]
        if two in ("||", "&&", ";;"):
            yield Token("op", i, i + 2, src[i : i + 2])
            i += 2
            continue
        if c in "|&<>":
            yield Token("op", i, i + 1, src[i : i + 1])
            i += 1
            continue
        if c == ";":
            yield Token("semi", i, i + 1, src[i : i + 1])
            i += 1
            continue
        if c in "{}":
            yield Token("lbr" if c == "{" else "rbr", i, i + 1, src[i : i + 1])
            i += 1
            continue
        j = _scan_word(text, i)
        if j == i:
            if c == "$":
                raise GrubSyntaxError(
                    "`$` not followed by a variable name, digits, `{`, `?`, `#`, `*` or `@`", i
                )
            raise GrubSyntaxError(f"unexpected character {c!r}", i)
        raw = src[i:j]
        if raw.text in _KEYWORDS:
            yield Token("kw", i, j, raw)
        else:
            yield Token("word", i, j, raw, _split_word(src, i, j))
        i = j
    yield Token("eof", n, n, Traced("", ()))


# ---------------------------------------------------------------- parser


@dataclass(frozen=True, slots=True)
class Command:
    words: tuple[Token, ...]
    block: tuple[Node, ...] | None
    start: int
    block_source: Traced | None = None


@dataclass(frozen=True, slots=True)
class If:
    branches: tuple[tuple[tuple[Node, ...], tuple[Node, ...]], ...]
    otherwise: tuple[Node, ...] | None
    start: int


@dataclass(frozen=True, slots=True)
class Skipped:
    """A ``function``, ``for``, ``while`` or ``until`` construct: parsed, not evaluated."""

    what: str
    start: int


Node = Command | If | Skipped


MAX_NESTING = 150
"""Blocks (``if``, ``{ }``, ``submenu``, loops) nested deeper than this are a syntax error.
GRUB's bison parser would take about 10,000 (YYMAXDEPTH); this parser recurses per level, and
no real configuration comes near either bound."""


class _Tokens:
    """Tokens lexed as the parser reaches them: a command that fails early costs its own line,
    not a lexing of the rest of the file (which made stray lines quadratic)."""

    def __init__(self, tokens: Iterator[Token]) -> None:
        self._source = tokens
        self._seen: list[Token] = []

    def __getitem__(self, i: int) -> Token:
        while len(self._seen) <= i:
            self._seen.append(next(self._source))
        return self._seen[i]


class _Parser:
    def __init__(self, src: Traced, tokens: _Tokens) -> None:
        self.src = src
        self.toks = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.toks[self.pos]

    def take(self) -> Token:
        t = self.toks[self.pos]
        if t.kind != "eof":
            self.pos += 1
        return t

    def error(self, tok: Token, what: str) -> GrubSyntaxError:
        shown = "end of file" if tok.kind == "eof" else repr(tok.raw.text)
        return GrubSyntaxError(f"syntax error: {what}, found {shown}", tok.start)

    def skip_separators(self) -> None:
        while self.peek().kind in ("newline", "semi"):
            self.take()

    def is_kw(self, *words: str) -> bool:
        t = self.peek()
        return t.kind == "kw" and t.raw.text in words

    def parse_list(self, *stop: str) -> tuple[Node, ...]:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(self.peek(), f"nested more than {MAX_NESTING} levels deep")
        try:
            return self._parse_list(stop)
        finally:
            self.depth -= 1

    def _parse_list(self, stop: tuple[str, ...]) -> tuple[Node, ...]:
        nodes: list[Node] = []
        while True:
            self.skip_separators()
            t = self.peek()
            if t.kind == "eof" or (t.kind == "kw" and t.raw.text in stop):
                return tuple(nodes)
            if t.kind == "rbr" and "}" in stop:
                return tuple(nodes)
            nodes.append(self.parse_node())

    def parse_node(self) -> Node:
        t = self.peek()
        if t.kind == "kw":
            word = t.raw.text
            if word == "if":
                return self.parse_if()
            if word == "function":
                self.take()
                name = self.take()
                if name.kind != "word":
                    raise self.error(name, "function name expected")
                self.expect_block()
                return Skipped("function", t.start)
            if word in ("for", "while", "until"):
                return self.parse_loop(word)
            raise self.error(t, "unexpected reserved word")
        if t.kind != "word":
            raise self.error(t, "command expected")
        return self.parse_command()

    def expect_block(self) -> tuple[tuple[Node, ...], Traced]:
        t = self.take()
        if t.kind != "lbr":
            raise self.error(t, "`{` expected")
        body = self.parse_list("}")
        end = self.take()
        if end.kind != "rbr":
            raise self.error(end, "missing `}`")
        return body, self.src[t.end : end.start]

    def parse_command(self) -> Command:
        words: list[Token] = []
        start = self.peek().start
        while True:
            t = self.peek()
            if t.kind in ("word", "kw") and (words or t.kind == "word"):
                words.append(self.take())
                continue
            break
        block = None
        block_src = None
        if self.peek().kind == "lbr":
            block, block_src = self.expect_block()
        t = self.peek()
        if t.kind not in ("newline", "semi", "eof", "rbr") and not (
            t.kind == "kw" and t.raw.text in ("fi", "else", "elif", "then", "done", "do")
        ):
            raise self.error(t, "unexpected token")
        return Command(tuple(words), block, start, block_src)

    def parse_if(self) -> If:
        start = self.take().start
        branches: list[tuple[tuple[Node, ...], tuple[Node, ...]]] = []
        otherwise: tuple[Node, ...] | None = None
        while True:
            cond = self.parse_list("then")
            if not self.is_kw("then"):
                raise self.error(self.peek(), "`then` expected")
            self.take()
            body = self.parse_list("elif", "else", "fi")
            branches.append((cond, body))
            if self.is_kw("elif"):
                self.take()
                continue
            if self.is_kw("else"):
                self.take()
                otherwise = self.parse_list("fi")
            if not self.is_kw("fi"):
                raise self.error(self.peek(), "`fi` expected")
            self.take()
            return If(tuple(branches), otherwise, start)

    def parse_loop(self, word: str) -> Skipped:
        start = self.take().start
        depth = 1
        while depth:
            t = self.take()
            if t.kind == "eof":
                raise self.error(t, "`done` expected")
            if t.kind == "kw" and t.raw.text in ("for", "while", "until"):
                depth += 1
            elif t.kind == "kw" and t.raw.text == "done":
                depth -= 1
        return Skipped(word, start)


def parse_script(src: Traced) -> tuple[tuple[Node, ...], list[tuple[str, int]]]:
    """Parse ``src`` command by command as GRUB's config reader does.

    A top-level command with a syntax error is dropped (GRUB prints the error and goes on with
    the next line, ``read_config_file`` in normal/main.c); the errors come back as
    (message, index).
    """
    nodes: list[Node] = []
    errors: list[tuple[str, int]] = []
    offset = 0
    text = src.text
    while offset < len(text):
        try:
            parser = _Parser(src, _Tokens(_lex(src, offset, len(text))))
            nodes.extend(parser.parse_list())
            return tuple(nodes), errors
        except GrubSyntaxError as exc:
            err_at = exc.index
            errors.append((exc.message, err_at))
            # Keep what parsed before the failing top-level command, then resume after the line
            # holding the error.
            good = _parse_prefix(src, offset, err_at)
            nodes.extend(good)
            nl = text.find("\n", err_at)
            offset = len(text) if nl < 0 else nl + 1
    return tuple(nodes), errors


def _parse_prefix(src: Traced, offset: int, err_at: int) -> list[Node]:
    """Top-level commands that end before ``err_at`` (re-parsed from ``offset``)."""
    try:
        tokens = list(_lex(src, offset, err_at))
    except GrubSyntaxError:
        return []
    parser = _Parser(src, _Tokens(iter(tokens)))
    good: list[Node] = []
    while True:
        parser.skip_separators()
        if parser.peek().kind == "eof":
            break
        try:
            node = parser.parse_node()
        except GrubSyntaxError:
            break
        ended = parser.toks[parser.pos - 1].kind in ("newline", "semi", "rbr")
        if parser.peek().kind == "eof" and not ended:
            # The last command may be cut by the error: keep it only if a separator ended it.
            break
        good.append(node)
    return good


# ---------------------------------------------------------------- expansion

_Slot = list[Traced | None]


def _argv_next(argv: _Slot) -> None:
    if argv and argv[-1] is None:
        return
    argv.append(None)


def _argv_append(argv: _Slot, s: Traced | None) -> None:
    if s is None:
        return
    cur = argv[-1]
    argv[-1] = s if cur is None else cur + s


def _split_append(argv: _Slot, s: Traced) -> None:
    """``grub_script_argv_split_append``: words separated by grub_isspace characters."""
    text = s.text
    i, n = 0, len(text)
    while i < n and text[i] in _GRUB_SPACE:
        i += 1
    while i < n:
        p = i
        while i < n and text[i] not in _GRUB_SPACE:
            i += 1
        _argv_append(argv, s[p:i])
        while i < n and text[i] in _GRUB_SPACE:
            i += 1
        if i < n:
            _argv_next(argv)


def _escape(s: Traced, chars: str) -> Traced:
    """A backslash (traced to the character it protects) before each of ``chars``."""
    out_t: list[str] = []
    out_o: list[Origin | None] = []
    for ch, o in zip(s.text, s.origins, strict=True):
        if ch in chars:
            out_t.append("\\")
            out_o.append(o)
        out_t.append(ch)
        out_o.append(o)
    return Traced("".join(out_t), tuple(out_o))


def _wildcard_escape(s: Traced) -> Traced:
    return _escape(s, "*\\?")


def _var_escape(s: Traced) -> Traced:
    """execute.c: in unquoted variable values ``\\`` -> ``\\\\`` and ``\\?``/``\\*`` -> ``\\\\\\?``."""
    out_t: list[str] = []
    out_o: list[Origin | None] = []
    text = s.text
    for i, (ch, o) in enumerate(zip(text, s.origins, strict=True)):
        if ch == "\\":
            out_t.append("\\")
            out_o.append(o)
            if i + 1 < len(text) and text[i + 1] in "?*":
                out_t.append("\\")
                out_o.append(o)
        out_t.append(ch)
        out_o.append(o)
    return Traced("".join(out_t), tuple(out_o))


def _wildcard_unescape(s: Traced) -> Traced:
    out_t: list[str] = []
    out_o: list[Origin | None] = []
    text = s.text
    i = 0
    while i < len(text):
        if text[i] == "\\":
            if i + 1 < len(text):
                out_t.append(text[i + 1])
                out_o.append(s.origins[i + 1])
            i += 2
            continue
        out_t.append(text[i])
        out_o.append(s.origins[i])
        i += 1
    return Traced("".join(out_t), tuple(out_o))


@dataclass
class Scope:
    """GRUB's environment and the positional parameters of the running entry (None: none)."""

    env: dict[str, Traced]
    args: list[Traced] | None = None
    notes: list[str] = field(default_factory=list)
    assignments: dict[str, Assignment] = field(default_factory=dict)

    def set(self, name: str, value: Traced, origin: Origin | None) -> None:
        self.env[name] = value
        if origin is not None:
            prev = self.assignments.get(name)
            self.assignments[name] = Assignment(name, value.text, origin, value.spans(), prev)


def _env_get(scope: Scope, name: str, var_type: str) -> list[Traced | None]:
    """``grub_script_env_get``: the values a ``$name`` expands to."""
    result: _Slot = [None]
    special = name[:1].isdigit() or name in ("#", "*", "@")
    args = scope.args
    if not special:
        v = scope.env.get(name)
        if name == "?" and v is None:
            v = Traced.plain("0")
        if v is not None and v.text:
            if var_type == "VAR":
                _split_append(result, v)
            else:
                _argv_append(result, v)
    elif args is None:
        pass
    elif name == "#":
        _argv_append(result, Traced.plain(str(len(args))))
    elif name in ("*", "@"):
        for i, a in enumerate(args):
            if name == "*" and var_type != "VAR":
                if i:
                    _argv_append(result, Traced.plain(" "))
                _argv_append(result, a)
                continue
            if i:
                _argv_next(result)
            if var_type == "VAR":
                _split_append(result, a)
            else:
                _argv_append(result, a)
    else:
        num = int(name)
        if 0 < num <= len(args):
            if var_type == "VAR":
                _split_append(result, args[num - 1])
            else:
                _argv_append(result, args[num - 1])
    return result


def _describe(values: list[Traced | None]) -> str:
    return " ".join(repr(v.text) for v in values if v is not None) or "''"


def expand_words(words: tuple[Token, ...], scope: Scope) -> list[Traced]:
    """``grub_script_arglist_to_argv`` without a wildcard translator: the argv GRUB passes."""
    result: _Slot = []
    for tok in words:
        _argv_next(result)
        if tok.kind == "kw":
            _argv_append(result, tok.raw)
            continue
        for part in tok.parts:
            if part.type in ("VAR", "DQVAR"):
                values = _env_get(scope, part.value.text, part.type)
                name = part.value.text
                if name[:1].isdigit() or name in ("#", "*", "@", "?"):
                    origin = part.value.first_origin()
                    where = f" at {origin}" if origin else ""
                    scope.notes.append(
                        f"${name}{where} expanded to {_describe(values)} by GRUB"
                        + (" (positional parameter)" if name[:1].isdigit() else "")
                    )
                for i, v in enumerate(values):
                    if v is None:
                        break
                    if i:
                        _argv_next(result)
                    _argv_append(
                        result, _var_escape(v) if part.type == "VAR" else _wildcard_escape(v)
                    )
            elif part.type == "TEXT":
                if part.value.text:
                    _argv_append(result, part.value)
            elif part.type == "GETTEXT":
                _argv_append(result, _wildcard_escape(_gettext_expand(part.value, scope)))
            else:
                _argv_append(result, _wildcard_escape(part.value))
    if result and result[-1] is None:
        result.pop()
    return [_wildcard_unescape(a) for a in result if a is not None]


def _gettext_expand(s: Traced, scope: Scope) -> Traced:
    """execute.c ``parse_string`` with ``gettext_putvar`` (untranslated): ``$NAME`` from env."""
    out: list[Traced] = []
    text = s.text
    i = 0
    escaped = False
    while i < len(text):
        c = text[i]
        if c == "\\":
            escaped = not escaped
            if not escaped:
                out.append(s[i : i + 1])
            i += 1
            continue
        if c == "$" and not escaped:
            j = i + 1
            name = ""
            if j < len(text) and text[j] == "{":
                k = text.find("}", j)
                if k < 0:
                    i = j
                    continue
                name, i = text[j + 1 : k], k + 1
            else:
                m = _DIGITS_RE.match(text, j) or _NAME_RE.match(text, j)
                if m:
                    name, i = m.group(), m.end()
                elif j < len(text) and text[j] in "?#":
                    name, i = text[j], j + 1
                else:
                    out.append(s[i : i + 1])
                    i += 1
                    continue
            if name == "#":
                out.append(Traced.plain(str(len(scope.args or []))))
            elif name in scope.env:
                out.append(scope.env[name])
            continue
        if escaped and c != "$":
            out.append(Traced.plain("\\"))
        escaped = False
        out.append(s[i : i + 1])
        i += 1
    return Traced.join(out)


# ---------------------------------------------------------------- loader command line


@dataclass(frozen=True, slots=True)
class LoaderCmdline:
    text: Traced
    dropped: tuple[str, ...]
    dropped_at: Origin | None = None


def create_loader_cmdline(argv: list[Traced], cmdline_size: int = CMDLINE_SIZE) -> LoaderCmdline:
    """``BOOT_IMAGE=`` + ``grub_create_loader_cmdline(argc, argv, ...)`` of the x86 loader.

    Each of ``\\``, ``'``, ``"`` gets a backslash in front, a word containing a space is wrapped in
    double quotes, words are joined by one space, and the first word that does not fit ends the
    line (it and all later words are dropped). The buffer is ``cmdline_size + 1`` bytes.
    """
    size = cmdline_size + 1 - len(LINUX_IMAGE)
    parts: list[Traced] = [Traced.plain(LINUX_IMAGE)]
    dropped: list[str] = []
    dropped_at: Origin | None = None
    for i, word in enumerate(argv):
        esc = _escape(word, "\\'\"")
        space = " " in word.text
        arg_size = len(esc.text.encode("utf-8", "surrogateescape")) + (2 if space else 0) + 1
        if size < arg_size:
            dropped = [w.text for w in argv[i:]]
            dropped_at = word.first_origin()
            break
        size -= arg_size
        if i:
            parts.append(Traced.plain(" "))
        if space:
            q = esc.first_origin()
            parts.append(Traced.plain('"', q))
            parts.append(esc)
            parts.append(Traced.plain('"', q))
        else:
            parts.append(esc)
    return LoaderCmdline(Traced.join(parts), tuple(dropped), dropped_at)


# ---------------------------------------------------------------- interpreter


@dataclass
class MenuEntry:
    """A ``menuentry`` (or, with ``children``, a ``submenu``) as GRUB records it."""

    title: str
    id: str | None
    args: list[Traced]
    body: tuple[Node, ...]
    start: int
    children: list[MenuEntry] | None = None


_WITH_ARG = frozenset({"class", "users", "hotkey", "source", "id"})


def _menu_options(argv: list[Traced]) -> tuple[list[Traced], str | None]:
    """Split menuentry arguments into non-option arguments and the ``--id``."""
    positional: list[Traced] = []
    ident: str | None = None
    i = 0
    while i < len(argv):
        a = argv[i].text
        if a == "--":
            positional.extend(argv[i + 1 :])
            break
        if a.startswith("--") and len(a) > 2:
            name, eq, value = a[2:].partition("=")
            if name in _WITH_ARG and not eq:
                i += 1
                value = argv[i].text if i < len(argv) else ""
            if name == "id":
                ident = value
        else:
            positional.append(argv[i])
        i += 1
    return positional, ident


ConditionHook = Callable[[list[Traced], Scope], "bool | None"]


@dataclass
class Interpreter:
    """Runs the parts of a GRUB script that decide entries, variables and the default.

    ``grubenv`` is what ``load_env`` loads; ``file_exists`` answers ``[ -s/-f/-e FILE ]``.
    """

    path: str
    grubenv: Mapping[str, Traced] = field(default_factory=dict)
    file_exists: Callable[[str], bool] = lambda _p: False
    notes: list[str] = field(default_factory=list)

    def run(self, nodes: tuple[Node, ...], scope: Scope, entries: list[MenuEntry]) -> None:
        for node in nodes:
            self._run_node(node, scope, entries)

    def _run_node(self, node: Node, scope: Scope, entries: list[MenuEntry]) -> int:
        if isinstance(node, Skipped):
            return 0
        if isinstance(node, If):
            for cond, body in node.branches:
                if self._run_cond(cond, scope, entries):
                    self.run(body, scope, entries)
                    return 0
            if node.otherwise is not None:
                self.run(node.otherwise, scope, entries)
            return 0
        return self._run_command(node, scope, entries)

    def _run_cond(self, cond: tuple[Node, ...], scope: Scope, entries: list[MenuEntry]) -> bool:
        status = 0
        for n in cond:
            status = self._run_node(n, scope, entries)
        return status == 0

    def _run_command(self, cmd: Command, scope: Scope, entries: list[MenuEntry]) -> int:
        argv = expand_words(cmd.words, scope)
        if not argv:
            return 0
        name = argv[0].text
        args = argv[1:]
        if name in ("menuentry", "submenu") and cmd.block is not None:
            positional, ident = _menu_options(args)
            title = positional[0].text if positional else ""
            entries.append(
                MenuEntry(
                    title,
                    ident,
                    positional,
                    cmd.block,
                    cmd.start,
                    [] if name == "submenu" else None,
                )
            )
            return 0
        if name == "set":
            for a in args:
                var, eq, _ = a.text.partition("=")
                if eq:
                    scope.set(var, a[len(var) + 1 :], a.first_origin())
            return 0
        if name == "unset":
            for a in args:
                scope.env.pop(a.text, None)
            return 0
        if name == "load_env":
            for key, value in self.grubenv.items():
                scope.env[key] = value
            return 0
        if name in ("[", "test"):
            result = _test(args[:-1] if name == "[" else args, self.file_exists)
            return 0 if result else 1
        if name in ("true",):
            return 0
        if name in ("false",):
            return 1
        if "=" in name and _NAME_RE.fullmatch(name.split("=", 1)[0]):
            # Not a command: an assignment (grub_script_execute_cmdline's last resort).
            var = name.split("=", 1)[0]
            scope.set(var, argv[0][len(var) + 1 :], argv[0].first_origin())
            return 0
        return 0


def _test(args: list[Traced], file_exists: Callable[[str], bool]) -> bool:
    """The ``test``/``[`` forms grub.cfg files use (commands/test.c)."""
    words = [a.text for a in args]
    if not words:
        return False
    if words[0] == "!" and len(words) > 1:
        return not _test(args[1:], file_exists)
    if len(words) == 1:
        return words[0] != ""
    if len(words) == 2 and words[0] in ("-n", "-z"):
        return (words[1] != "") == (words[0] == "-n")
    if len(words) == 2 and words[0] in ("-s", "-f", "-e", "-d"):
        return file_exists(words[1])
    if len(words) == 3:
        a, op, b = words
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        ints = {
            "-eq": int.__eq__,
            "-ne": int.__ne__,
            "-lt": int.__lt__,
            "-le": int.__le__,
            "-gt": int.__gt__,
            "-ge": int.__ge__,
        }
        if op in ints:
            try:
                return bool(ints[op](int(a), int(b)))
            except ValueError:
                return False
    return False


@dataclass
class EntryRun:
    """The ``linux`` command an entry runs: its command name and expanded argv. ``stray``: the
    command right after it when its name reads as kernel parameters (a line break cut the
    ``linux`` line: GRUB prints "can't find command" and the kernel never sees those words)."""

    command: str
    argv: list[Traced]
    notes: list[str]
    stray: Traced | None = None


def _looks_like_parameters(name: str) -> bool:
    """A command name no GRUB command has: ``=``, a leading digit, or ``,!@:`` in it."""
    return "=" in name or name[:1].isdigit() or any(c in name for c in ",!@:")


def run_entry(
    interp: Interpreter, entry: MenuEntry, global_env: Mapping[str, Traced]
) -> EntryRun | None:
    """Run an entry's body as GRUB does at boot: new scope, ``$1`` = first non-option argument."""
    scope = Scope(dict(global_env), list(entry.args))
    found: list[EntryRun] = []
    last: list[Node | None] = [None]  # the linux command, while it is the previous command

    def visit(nodes: tuple[Node, ...]) -> None:
        for node in nodes:
            if isinstance(node, If):
                for cond, body in node.branches:
                    if interp._run_cond(cond, scope, []):
                        visit(body)
                        break
                else:
                    if node.otherwise is not None:
                        visit(node.otherwise)
                continue
            if isinstance(node, Command) and node.words:
                first = node.words[0]
                if first.kind == "word" and first.raw.text in LINUX_COMMANDS:
                    before = len(scope.notes)
                    argv = expand_words(node.words, scope)
                    if argv and argv[0].text in LINUX_COMMANDS:
                        found.append(EntryRun(argv[0].text, argv[1:], scope.notes[before:]))
                        last[0] = node
                    continue
                if (
                    found
                    and last[0] is not None
                    and first.kind == "word"
                    and _looks_like_parameters(first.raw.text)
                ):
                    found[-1].stray = Traced.join(w.raw for w in node.words)
                last[0] = None
            interp._run_node(node, scope, [])

    visit(entry.body)
    return found[-1] if found else None


def resolve_default(entries: list[MenuEntry], value: str | None) -> tuple[list[int], str | None]:
    """The path of entry indices GRUB boots for ``default`` (menu.c ``get_entry_number``)."""
    path: list[int] = []
    note: str | None = None
    level = entries
    spec = value or ""
    first = True
    while True:
        index, rest = _lookup(level, spec) if (spec or first) else (0, "")
        first = False
        if index < 0 or index >= len(level):
            if spec:
                note = f"default entry {spec!r} not found: GRUB boots the first entry"
            index, rest = 0, ""
        path.append(index)
        chosen = level[index] if level else None
        if chosen is None or chosen.children is None:
            return path, note
        level = chosen.children
        spec = rest
        if not level:
            return path, note


def _lookup(level: list[MenuEntry], spec: str) -> tuple[int, str]:
    # A number only when nothing but `>...` follows it (ids such as machine-id names start with
    # digits and are matched as ids).
    m = re.match(r"\s*(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))", spec)
    if m:
        hex_digits, octal, decimal = m.groups()
        if hex_digits is not None:
            number = int(hex_digits, 16)
        elif octal is not None:
            number = int(octal, 8)
        else:
            number = int(decimal)
        tail = spec[m.end() :]
        if not tail or tail.startswith(">"):
            return number, tail[1:]
    for i, e in enumerate(level):
        for name in (e.title, e.id):
            if name is None:
                continue
            sz = _menuentry_eq(name, spec)
            if sz > 0:
                return i, spec[sz:]
    return -1, ""


def _menuentry_eq(name: str, spec: str) -> int:
    """menu.c ``menuentry_eq``: ``>`` separates levels, ``>>`` is a literal ``>``."""
    i = j = 0
    while True:
        if j >= len(spec):
            return j if i >= len(name) else 0
        if spec[j] == ">" and (j + 1 >= len(spec) or spec[j + 1] != ">"):
            return j + 1 if i >= len(name) else 0
        if spec[j] == ">":
            j += 1
        if i >= len(name) or name[i] != spec[j]:
            return 0
        i += 1
        j += 1


def diagnostics_from(errors: list[tuple[str, int]], src: Traced, path: str) -> list[Diagnostic]:
    """Errors at source indices as diagnostics (an index past the end points at the last char)."""
    out: list[Diagnostic] = []
    for message, index in errors:
        origin = src.origin(min(index, len(src) - 1)) if len(src) else None
        out.append(Diagnostic(message, origin or Origin(path, 1, 1)))
    return out
