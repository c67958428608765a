"""GitHub Actions workflow commands: one annotation per finding."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from memmap_lint.engine.findings import ERROR, WARNING
from memmap_lint.engine.results import HostResult
from memmap_lint.report.escape import visible

_COMMAND = {ERROR: "error", WARNING: "warning"}


def _data(text: str) -> str:
    return visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(results: Sequence[HostResult]) -> Iterable[str]:
    for r in results:
        for f in r.findings:
            props = []
            if f.location:
                props.append(f"file={_prop(f.location.path)}")
                if f.location.line:
                    props.append(f"line={f.location.line}")
                if f.location.column:
                    props.append(f"col={f.location.column}")
            props.append(f"title={_prop(f'{f.code} {f.name} ({f.host})')}")
            yield f"::{_COMMAND.get(f.severity, 'notice')} {','.join(props)}::{_data(f.message)}\n"
