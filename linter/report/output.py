"""Writing reports: to standard output, or to a file through ``fileio.write_file`` (a file,
a symlink's target, a FIFO or a device, never destroyed; atomic where it is replaced)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable

from memmap_lint.fileio import ENCODING_ERRORS, write_error, write_file


def write_stdout(chunks: Iterable[str]) -> None:
    """``chunks`` to standard output, UTF-8 with surrogates escaped; a failure is MM002."""
    out = getattr(sys.stdout, "buffer", None)
    try:
        sys.stdout.flush()
        for chunk in chunks:
            if out is None:
                sys.stdout.write(chunk.encode("utf-8", ENCODING_ERRORS).decode("utf-8"))
            else:
                out.write(chunk.encode("utf-8", ENCODING_ERRORS))
        (out or sys.stdout).flush()
    except OSError as exc:
        # nothing more can reach the broken stream: later flushes at exit go to /dev/null
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if isinstance(exc, BrokenPipeError):
            raise  # the reader left (`| head`): cli.main exits quietly, as other tools do
        raise write_error("standard output", exc) from None


def write_output(text: str | Iterable[str], path: str | None) -> None:
    """The report to ``path`` (see ``write_file``), or to stdout when ``path`` is None or ``-``."""
    chunks = [text] if isinstance(text, str) else text
    if path is None or path == "-":
        write_stdout(chunks)
    else:
        write_file(path, chunks)
