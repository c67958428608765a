"""The last line of defence: an unexpected exception is a bug, reported as one line and exit 2.

CI reads exit 1 as "findings", so a traceback (exit 1 from Python) would be misread; here it
becomes one line on stderr naming the error, the command line that caused it and where to
report it, and exit status 2. ``--debug`` (anywhere before ``--``) adds the trace.
"""

from __future__ import annotations

import contextlib
import functools
import shlex
import sys
import traceback
from collections.abc import Sequence
from typing import Protocol

from memmap_lint import __version__

EXIT_BUG = 2
DEBUG_FLAG = "--debug"


class Main(Protocol):
    """The shape of ``main``: arguments (None: ``sys.argv``) to an exit status."""

    def __call__(self, argv: Sequence[str] | None = None) -> int: ...


def _where_to_report() -> str:
    """The project's issue tracker from the installed metadata, else a description of it."""
    from importlib import metadata

    try:
        urls = metadata.metadata("memmap-lint").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("issues", "bug tracker", "tracker"):
            return str(url).strip()
    return "the memmap-lint issue tracker"


def _one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line of ASCII (newlines, controls and the rest escaped), shortened."""
    flat = text.encode("unicode_escape").decode("ascii")
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def bug_line(exc: BaseException, argv: Sequence[str]) -> str:
    """The one line printed for ``exc`` raised while running ``memmap-lint argv``."""
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    command = _one_line(shlex.join(["memmap-lint", *argv]))
    return (
        f"memmap-lint: internal error (a bug in memmap-lint {__version__}): {_one_line(what)}; "
        f"input: {command}; please report it with that input at {_where_to_report()} "
        f"({DEBUG_FLAG} shows the trace)"
    )


def _split_debug(argv: Sequence[str]) -> tuple[list[str], bool]:
    args = list(argv)
    end = args.index("--") if "--" in args else len(args)
    if DEBUG_FLAG in args[:end]:
        args.remove(DEBUG_FLAG)
        return args, True
    return args, False


def guarded(main: Main) -> Main:
    """``main`` with ``--debug`` taken off its arguments and every unexpected exception turned
    into ``bug_line`` and exit 2 (``SystemExit`` and ``KeyboardInterrupt`` pass through)."""

    @functools.wraps(main)
    def run(argv: Sequence[str] | None = None) -> int:
        args, debug = _split_debug(sys.argv[1:] if argv is None else argv)
        try:
            return main(args)
        except Exception as exc:  # the point of this module
            if debug:
                traceback.print_exc()
            with contextlib.suppress(Exception):  # stderr gone: the status still says it
                print(bug_line(exc, args), file=sys.stderr)
            return EXIT_BUG

    return run
