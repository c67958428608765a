"""The assignments of a POSIX sh (dash) script, as ``grub-mkconfig`` sources /etc/default/grub.

Models dash's quoting and expansion for assignment words (no field splitting, no globbing):
backslash outside quotes, single quotes, double quotes (where only ``\\$ \\` \\" \\\\ \\newline``
are escapes), ``$NAME``, ``${NAME}`` and ``${NAME-word}``-style forms, single-digit positional
parameters (``$12`` is ``${1}2``), comments and line continuations. Positional parameters are
empty: grub-mkconfig's option loop has shifted them all away (GRUB util/grub-mkconfig.in, run
by dash; util/grub.d/10_linux.in).
Command substitution is not run: it expands to nothing, with a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from memmap_lint.bootconfig.model import Assignment, Diagnostic, Origin, Traced

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_META = frozenset(" \t\n;&|<>()")
_DQ_ESCAPES = frozenset('$`"\\\n')

#: Special parameters as grub-mkconfig sees them when it sources the file.
_SPECIAL_VALUES = {"#": "0", "@": "", "*": "", "?": "0", "!": "", "-": "e"}


class ShellSyntaxError(Exception):
    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


@dataclass
class ShellState:
    """Shell variables (traced values) and their assignment history."""

    values: dict[str, Traced] = field(default_factory=dict)
    assignments: dict[str, Assignment] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def assign(self, name: str, value: Traced, origin: Origin) -> None:
        self.values[name] = value
        prev = self.assignments.get(name)
        self.assignments[name] = Assignment(name, value.text, origin, value.spans(), prev)


class _Reader:
    def __init__(self, src: Traced, state: ShellState) -> None:
        self.src = src
        self.text = src.text
        self.i = 0
        self.state = state

    def at(self, k: int = 0) -> str:
        j = self.i + k
        return self.text[j] if j < len(self.text) else ""

    def note(self, message: str, index: int) -> None:
        origin = self.src.origin(min(index, len(self.src) - 1))
        self.state.notes.append(f"{origin}: {message}" if origin else message)

    # -- words -------------------------------------------------------------

    def skip_blanks(self) -> None:
        while True:
            c = self.at()
            if c in (" ", "\t"):
                self.i += 1
            elif c == "\\" and self.at(1) == "\n":
                self.i += 2
            else:
                return

    def read_word(self) -> tuple[Traced, str, int]:
        """One word: (expanded value, raw text, start index)."""
        start = self.i
        out: list[Traced] = []
        while True:
            c = self.at()
            if c == "" or c in _META:
                break
            if c == "\\":
                if self.at(1) == "\n":
                    self.i += 2
                elif self.at(1) == "":
                    out.append(self.src[self.i : self.i + 1])
                    self.i += 1
                else:
                    out.append(self.src[self.i + 1 : self.i + 2])
                    self.i += 2
            elif c == "'":
                end = self.text.find("'", self.i + 1)
                if end < 0:
                    raise ShellSyntaxError("Syntax error: Unterminated quoted string", self.i)
                out.append(self.src[self.i + 1 : end])
                self.i = end + 1
            elif c == '"':
                out.append(self.read_dquote())
            elif c == "$":
                out.append(self.read_dollar(quoted=False))
            elif c == "`":
                out.append(self.read_backquote())
            else:
                out.append(self.src[self.i : self.i + 1])
                self.i += 1
        return Traced.join(out), self.text[start : self.i], start

    def read_dquote(self) -> Traced:
        open_at = self.i
        self.i += 1
        out: list[Traced] = []
        while True:
            c = self.at()
            if c == "":
                raise ShellSyntaxError("Syntax error: Unterminated quoted string", open_at)
            if c == '"':
                self.i += 1
                return Traced.join(out)
            if c == "\\":
                nxt = self.at(1)
                if nxt == "\n":
                    self.i += 2
                elif nxt in _DQ_ESCAPES and nxt:
                    out.append(self.src[self.i + 1 : self.i + 2])
                    self.i += 2
                else:
                    out.append(self.src[self.i : self.i + 1])
                    self.i += 1
            elif c == "$":
                out.append(self.read_dollar(quoted=True))
            elif c == "`":
                out.append(self.read_backquote())
            else:
                out.append(self.src[self.i : self.i + 1])
                self.i += 1

    def read_backquote(self) -> Traced:
        start = self.i
        j = self.i + 1
        while j < len(self.text) and self.text[j] != "`":
            j += 2 if self.text[j] == "\\" else 1
        if j >= len(self.text):
            raise ShellSyntaxError("Syntax error: EOF in backquote substitution", start)
        self.i = j + 1
        self.note(
            f"command substitution {self.text[start : j + 1]!r} not run: taken as empty", start
        )
        return Traced("", ())

    def read_dollar(self, quoted: bool) -> Traced:
        start = self.i
        nxt = self.at(1)
        if nxt == "(":
            depth = 0
            j = self.i + 1
            while j < len(self.text):
                if self.text[j] == "(":
                    depth += 1
                elif self.text[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= len(self.text):
                raise ShellSyntaxError("Syntax error: Missing '))'", start)
            self.i = j + 1
            self.note(
                f"command substitution {self.text[start : j + 1]!r} not run: taken as empty", start
            )
            return Traced("", ())
        if nxt == "{":
            end = self.text.find("}", self.i + 2)
            if end < 0:
                raise ShellSyntaxError("Syntax error: Missing '}'", start)
            self.i = end + 1
            return self.braced(start, self.text[start + 2 : end], quoted)
        m = _NAME.match(self.text, self.i + 1)
        if m:
            self.i = m.end()
            return self.lookup(m.group(), start)
        if nxt.isdigit():
            self.i += 2
            return self.positional(nxt, start)
        if nxt and nxt in "#@*?!-$":
            self.i += 2
            if nxt == "$":
                self.note("$$ (the shell's process id) is unknown: taken as empty", start)
                return Traced("", ())
            return Traced.plain(_SPECIAL_VALUES[nxt])
        # A lone `$` is literal.
        self.i += 1
        return self.src[start : start + 1]

    def lookup(self, name: str, at: int) -> Traced:
        return self.state.values.get(name, Traced("", ()))

    def positional(self, name: str, at: int) -> Traced:
        if name == "0":
            self.note("$0 is the name grub-mkconfig was run as: taken as 'grub-mkconfig'", at)
            return Traced.plain("grub-mkconfig")
        origin = self.src.origin(at)
        where = f" at {origin}" if origin else ""
        self.state.notes.append(
            f"${name}{where} expanded to '' by sh (grub-mkconfig has no positional parameters)"
        )
        return Traced("", ())

    def braced(self, start: int, body: str, quoted: bool) -> Traced:
        if body.startswith("#") and _NAME.fullmatch(body[1:]):
            return Traced.plain(str(len(self.lookup(body[1:], start).text)))
        m = _NAME.match(body) or re.match(r"[0-9]+|[#@*?!$-]", body)
        if not m:
            raise ShellSyntaxError(f"Syntax error: Bad substitution ${{{body}}}", start)
        name, rest = m.group(), body[m.end() :]
        if name.isdigit() or name in _SPECIAL_VALUES or name == "$":
            if name.isdigit():
                value = self.positional(name, start) if name != "0" else Traced.plain("")
                if name == "0":
                    value = self.positional("0", start)
            elif name == "$":
                value = Traced("", ())
            else:
                value = Traced.plain(_SPECIAL_VALUES[name])
            is_set = name == "0" or name in _SPECIAL_VALUES
        else:
            value = self.lookup(name, start)
            is_set = name in self.state.values
        if not rest:
            return value
        op_m = re.match(r":?[-=+?]", rest)
        if not op_m:
            raise ShellSyntaxError(f"Syntax error: Bad substitution ${{{body}}}", start)
        op = op_m.group()
        word_at = start + 2 + m.end() + len(op)
        word = self._expand_inner(word_at, start + 2 + len(body))
        use_word = (not is_set) or (op.startswith(":") and value.text == "")
        base = op.lstrip(":")
        if base == "-":
            return word if use_word else value
        if base == "=":
            if use_word:
                origin = self.src.origin(start) or Origin("<inline>", 1, 1)
                self.state.assign(name, word, origin)
                return word
            return value
        if base == "+":
            return Traced("", ()) if use_word else word
        if use_word:
            raise ShellSyntaxError(f"{name}: parameter not set", start)
        return value

    def _expand_inner(self, begin: int, end: int) -> Traced:
        sub = _Reader(self.src[:end], self.state)
        sub.i = begin
        out: list[Traced] = []
        while sub.i < end:
            c = sub.at()
            if c == "\\" and sub.i + 1 < end:
                out.append(sub.src[sub.i + 1 : sub.i + 2])
                sub.i += 2
            elif c == "'":
                k = sub.text.find("'", sub.i + 1)
                k = end if k < 0 else k
                out.append(sub.src[sub.i + 1 : k])
                sub.i = k + 1
            elif c == '"':
                out.append(sub.read_dquote())
            elif c == "$":
                out.append(sub.read_dollar(quoted=True))
            else:
                out.append(sub.src[sub.i : sub.i + 1])
                sub.i += 1
        return Traced.join(out)

    # -- commands ----------------------------------------------------------

    def run(self) -> None:
        while self.i < len(self.text):
            self.skip_blanks()
            c = self.at()
            if c == "":
                return
            if c == "#":
                k = self.text.find("\n", self.i)
                self.i = len(self.text) if k < 0 else k
                continue
            if c in "\n;":
                self.i += 1
                continue
            if c in "&|<>()":
                self.skip_command(self.i, f"shell operator {c!r} not evaluated")
                continue
            self.command()

    def command(self) -> None:
        start = self.i
        assigns: list[tuple[str, Traced, int]] = []
        words: list[tuple[Traced, str, int]] = []
        while True:
            self.skip_blanks()
            c = self.at()
            if c == "" or c in "\n;":
                break
            if c == "#" and not words and not assigns:
                break
            if c == "#":
                k = self.text.find("\n", self.i)
                self.i = len(self.text) if k < 0 else k
                break
            if c in "&|<>()":
                self.skip_command(start, f"shell operator {c!r} not evaluated")
                return
            value, raw, at = self.read_word()
            m = _NAME.match(raw)
            if not words and m and raw[m.end() : m.end() + 1] == "=":
                assigns.append((m.group(), value[m.end() + 1 :], at))
            else:
                words.append((value, raw, at))
        if not words:
            for name, value, at in assigns:
                self.state.assign(name, value, self.src.origin(at) or Origin("<inline>", 1, 1))
            return
        cmd = words[0][0].text
        if cmd in ("export", "readonly"):
            for value, raw, at in words[1:]:
                m = _NAME.match(raw)
                if m and raw[m.end() : m.end() + 1] == "=":
                    v = value[m.end() + 1 :]
                    self.state.assign(m.group(), v, self.src.origin(at) or Origin("<inline>", 1, 1))
            return
        if cmd in ("if", "case", "for", "while", "until", "{"):
            self.skip_compound(start, cmd)
            return
        self.note(f"command {cmd!r} not evaluated (only assignments are)", start)

    def skip_command(self, start: int, message: str) -> None:
        self.note(message, start)
        k = self.text.find("\n", self.i)
        self.i = len(self.text) if k < 0 else k + 1

    def skip_compound(self, start: int, word: str) -> None:
        ends = {
            "if": "fi",
            "case": "esac",
            "for": "done",
            "while": "done",
            "until": "done",
            "{": "}",
        }
        end_word = ends[word]
        pattern = re.compile(rf"(^|[\s;]){re.escape(end_word)}(?=$|[\s;])", re.M)
        m = pattern.search(self.text, self.i)
        self.note(f"compound command {word!r} not evaluated", start)
        self.i = len(self.text) if m is None else m.end()


def source(src: Traced, state: ShellState, path: str) -> None:
    """Run the assignments of ``src`` into ``state``; a syntax error stops the file (dash exits)."""
    reader = _Reader(src, state)
    try:
        reader.run()
    except ShellSyntaxError as exc:
        origin = src.origin(min(exc.index, len(src) - 1)) if len(src) else None
        state.diagnostics.append(
            Diagnostic(
                f"{exc.message}: /bin/sh stops here, grub-mkconfig fails and grub.cfg is not "
                "regenerated",
                origin or Origin(path, 1, 1),
            )
        )
