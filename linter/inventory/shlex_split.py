"""``shlex.split(line, comments=True)`` (POSIX mode) that also says where each character came from.

Ansible's INI inventory splits a host line with ``shlex.split(line, comments=True)``. This is the
same state machine as CPython's ``shlex.shlex.read_token`` with ``posix=True``,
``whitespace_split=True`` and ``#`` as the comment character, written again so that every
character of every token keeps its index in the line (quotes and escapes are not in the token).
A hypothesis test checks it against ``shlex.split`` itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WHITESPACE = " \t\r\n"
_QUOTES = "'\""
_ESCAPE = "\\"
_ESCAPED_QUOTES = '"'
_COMMENT = "#"
#: runs of characters that change no state: in a word, inside '...', inside "..."
_PLAIN = re.compile(r"[^ \t\r\n#'\"\\]+")
_IN_QUOTES = {"'": re.compile(r"[^']+"), '"': re.compile(r'[^"\\]+')}


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the line and, for each of its characters, its index in the line."""

    text: str
    index: tuple[int, ...]
    start: int


class ShlexError(ValueError):
    """What shlex raises: ``No closing quotation`` or ``No escaped character``."""


def split(line: str) -> list[Token]:
    """The words of ``line`` as ``shlex.split(line, comments=True)`` gives them, with indexes."""
    tokens: list[Token] = []
    chars: list[str] = []  # pieces of the word being read
    index: list[int] = []
    state = " "  # " " between words, "a" in a word, a quote char, or the escape char
    escaped_state = "a"
    quoted = False
    start = 0
    i, n = 0, len(line)

    def emit() -> None:
        tokens.append(Token("".join(chars), tuple(index), start))
        chars.clear()
        index.clear()

    while i < n:
        c = line[i]
        if state == " ":
            if c in _WHITESPACE:
                pass
            elif c == _COMMENT:
                break
            elif c == _ESCAPE:
                start, escaped_state, state = i, "a", c
            elif c in _QUOTES:
                start, state = i, c
            else:
                start, state = i, "a"
                i = _run(_PLAIN, line, i, chars, index)
                continue
        elif state == "a":
            if c in _WHITESPACE or c == _COMMENT:
                emit()
                quoted = False
                state = " "
                if c == _COMMENT:
                    break
            elif c in _QUOTES:
                state = c
            elif c == _ESCAPE:
                escaped_state, state = "a", c
            else:
                i = _run(_PLAIN, line, i, chars, index)
                continue
        elif state in _QUOTES:
            quoted = True
            if c == state:
                state = "a"
            elif c == _ESCAPE and state in _ESCAPED_QUOTES:
                escaped_state, state = state, c
            else:
                i = _run(_IN_QUOTES[state], line, i, chars, index)
                continue
        else:  # after the escape character
            if escaped_state in _QUOTES and c != state and c != escaped_state:
                chars.append(state)
                index.append(i - 1)
            chars.append(c)
            index.append(i)
            state = escaped_state
        i += 1
    else:
        if state in _QUOTES:
            raise ShlexError("No closing quotation")
        if state == _ESCAPE:
            raise ShlexError("No escaped character")
    if state == "a" or (state == " " and (chars or quoted)):
        emit()
    return tokens


def _run(pattern: re.Pattern[str], line: str, i: int, chars: list[str], index: list[int]) -> int:
    """Add the run of ``pattern`` characters at ``line[i]`` (at least one) to the word."""
    m = pattern.match(line, i)
    end = m.end() if m else i + 1
    chars.append(line[i:end])
    index.extend(range(i, end))
    return end
