"""Firmware e820 maps from what machines print: boot logs, sysfs, /proc/iomem, YAML/JSON lists.

``parse_capture`` detects the format of a text and returns a :class:`Capture`;
``load_capture`` reads a file or a ``/sys/firmware/memmap``-style directory. Detection order: a
kernel log (any ``BIOS-e820:``/``user:``/``e820: update`` line), then ``grep`` output of the
sysfs memmap (``.../N/start:0x...``), then ``/proc/iomem`` (``00000000-00000fff : ...``), then
JSON, then YAML. Each format's rules are in its module: ``captures_dmesg``, ``captures_sysfs``,
``captures_data``. Every bad input is an MM602 :class:`LintError`, never a traceback.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from memmap_lint.captures.dmesg import looks_like_kernel_log, parse_kernel_log
from memmap_lint.captures.model import CODE, UNKNOWN_TYPE, Capture, capture_error, no_map_error
from memmap_lint.captures.sysfs import (
    load_memmap_dir,
    looks_like_iomem,
    looks_like_sysfs_grep,
    parse_iomem,
    parse_sysfs_grep,
)
from memmap_lint.errors import LintError
from memmap_lint.fileio import read_bytes

__all__ = ["UNKNOWN_TYPE", "Capture", "capture_digest", "load_capture", "parse_capture"]


def _first_line(text: str) -> str | None:
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        if line.strip():
            return line
    return None


def parse_capture(text: str, source: str = "<inline>") -> Capture:
    """The capture in ``text``, its format detected; MM602 LintError on bad input."""
    if looks_like_kernel_log(text):
        return parse_kernel_log(text, source)
    first = _first_line(text)
    if first is None:
        raise no_map_error(source)
    if looks_like_sysfs_grep(first):
        return parse_sysfs_grep(text, source)
    if looks_like_iomem(first):
        return parse_iomem(text, source)
    from memmap_lint.captures.data import looks_like_data, parse_data  # yaml: only when needed

    if looks_like_data(text):
        return parse_data(text, source)
    raise no_map_error(source)


def load_capture(path: str | os.PathLike[str]) -> Capture:
    """The capture in a file, or in a ``/sys/firmware/memmap``-style directory."""
    where = Path(path)
    source = os.fspath(path)
    try:
        if where.is_dir():
            return load_memmap_dir(where)
        data = read_bytes(where, "capture", CODE)
    except OSError as err:  # e.g. a name too long to look up
        raise capture_error(f"cannot read the capture: {err.strerror or err}", source) from None
    except LintError as err:
        why = err.message.removeprefix("cannot read: ")
        raise capture_error(f"cannot read the capture: {why}", source) from None
    return parse_capture(data.decode("utf-8", "replace"), source)


def capture_digest(capture: Capture) -> str:
    """A stable SHA-256 of the entries, setup_data nodes, CPU count and image facts (what
    simulation depends on)."""
    digest = hashlib.sha256(b"memmap-lint/capture/v1\n")
    for entry in capture.entries:
        digest.update(f"e {entry.start:x} {entry.size:x} {entry.type:x}\n".encode())
    for start, size in capture.setup_data:
        digest.update(f"s {start:x} {size:x}\n".encode())
    if capture.cpus is not None:
        digest.update(f"c {capture.cpus}\n".encode())
    if capture.image is not None or capture.image_size is not None:
        digest.update(f"i {capture.image} {capture.image_size} {capture.release}\n".encode())
    return digest.hexdigest()
