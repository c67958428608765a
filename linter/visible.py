"""Showing any text safely: hidden or dangerous characters written as Python-style escapes.

Used by error messages and every report, so a terminal escape, a right-to-left override or an
undecodable byte in an input can be shown but never act.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, lone surrogates (undecodable bytes kept by
# "surrogateescape"), the bidi embedding/override/isolate/mark controls, and XML's non-characters.
_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff]"
)


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every hidden or dangerous character written as a Python-style escape."""
    return _HIDDEN.sub(_shown, text)
