"""Making any input reportable: control characters, lone surrogates and bidi controls shown as
escapes, so a report is never broken (XML well-formed, UTF-8 encodable) nor spoofed (a
terminal escape or a right-to-left override in a host name cannot rewrite what is shown).
"""

from __future__ import annotations

import html

from memmap_lint.visible import visible

__all__ = ["html_escape", "visible", "xml_attr", "xml_escape"]

# xml.sax.saxutils.escape's replacements in one pass (that module imports urllib.request)
_XML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_ATTR = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\t": "&#9;"}
)


def html_escape(text: str, quote: bool = True) -> str:
    """``html.escape`` of ``visible(text)``."""
    return html.escape(visible(text), quote)


def xml_escape(text: str) -> str:
    """Character data for XML 1.0: well-formed whatever ``text`` holds."""
    return visible(text).translate(_XML)


def xml_attr(text: str) -> str:
    """A quoted XML attribute value holding ``text`` (newlines and tabs as references)."""
    return f'"{visible(text).translate(_XML_ATTR)}"'
