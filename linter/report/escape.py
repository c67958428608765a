"""Making any input reportable: control characters, lone surrogates and bidi controls shown as
escapes, so a report is never broken (XML well-formed, UTF-8 encodable) nor spoofed (a
terminal escape or a right-to-left override in a host name cannot rewrite what is shown).
"""

from __future__ import annotations

import html
import re
from xml.sax.saxutils import escape as _xml_escape

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


def utf8_safe(text: str) -> str:
    """``text`` encodable as UTF-8: lone surrogates as ``\\udcXX`` (nothing else changed)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def html_escape(text: str, quote: bool = True) -> str:
    """``html.escape`` of ``visible(text)``."""
    return html.escape(visible(text), quote)


def xml_escape(text: str) -> str:
    """Character data for XML 1.0: well-formed whatever ``text`` holds."""
    return _xml_escape(visible(text))


def xml_attr(text: str) -> str:
    """A quoted XML attribute value holding ``text`` (newlines and tabs as references)."""
    escaped = _xml_escape(visible(text), {'"': "&quot;", "\n": "&#10;", "\t": "&#9;"})
    return f'"{escaped}"'
