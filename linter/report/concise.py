"""The concise format: one line per finding, ``path:line:col: CODE message [host]``; and the
statistics (``--statistics``): how many findings each code has.

The line compilers and linters print (ruff's ``concise``, ``shellcheck -f gcc``), which editors,
pre-commit and ``grep`` read. The host (for a boot file, its entry) ends the line, since one
line of an inventory often gives many hosts their value. A finding without a place starts with
its host.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from memmap_lint.engine.findings import Finding
from memmap_lint.engine.results import HostResult
from memmap_lint.report.escape import visible


def concise_line(f: Finding) -> str:
    """The one line of ``f`` (control characters and newlines escaped)."""
    message = visible(" ".join(f.message.split()))
    host = f.host
    if f.location is None:
        return f"{visible(host)}: {f.code} {message}\n"
    where = visible(str(f.location))
    if host.startswith(f.location.path + "#"):  # a boot file's entry: its name is enough
        host = host[len(f.location.path) + 1 :]
    return f"{where}: {f.code} {message} [{visible(host)}]\n"


def render_concise(results: Sequence[HostResult]) -> Iterable[str]:
    """Every finding, host by host, in the order of the other formats."""
    for r in results:
        for f in r.findings:
            yield concise_line(f)


def render_statistics(results: Sequence[HostResult]) -> Iterable[str]:
    """A line per code, most findings first: count, code, name, severity (as ruff prints it)."""
    counts: dict[tuple[str, str, str], int] = {}
    for r in results:
        for f in r.findings:
            key = (f.code, f.name, f.severity)
            counts[key] = counts.get(key, 0) + 1
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    width = max((len(str(n)) for _, n in rows), default=1)
    for (code, name, severity), n in rows:
        yield f"{n:>{width}}  {code}  {name} [{severity}]\n"
