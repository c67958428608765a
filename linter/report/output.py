"""Writing reports: to stdout, or to a file atomically (a reader never sees half a report)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterable

from memmap_lint.errors import LintError


def _mode_for(path: str) -> int:
    """The existing file's mode, else what a plain open() would give (0666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: str, chunks: Iterable[str]) -> None:
    """Write ``chunks`` to a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".memmap-lint-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise LintError("MM002", f"cannot write {path}: {exc.strerror}", path) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise LintError("MM002", f"cannot write {path}: {exc.strerror}", path) from exc
        raise


def write_output(text: str | Iterable[str], path: str | None) -> None:
    """The report to ``path`` (atomically) or to stdout when ``path`` is None or ``-``."""
    chunks = [text] if isinstance(text, str) else text
    if path is None or path == "-":
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return
    atomic_write(path, chunks)
