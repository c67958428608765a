"""JUnit XML: one testcase per host, failed when it has findings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from memmap_lint.engine.results import HostResult
from memmap_lint.report.escape import xml_attr, xml_escape


def render_junit(results: Sequence[HostResult]) -> Iterable[str]:
    failures = sum(1 for r in results if r.findings)
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield (
        f'<testsuites name="memmap-lint" tests="{len(results)}" failures="{failures}">\n'
        f'  <testsuite name="memmap-lint" tests="{len(results)}" failures="{failures}" '
        'errors="0" skipped="0">\n'
    )
    for r in results:
        group = r.groups[-1] if r.groups else "all"
        head = f"    <testcase classname={xml_attr('memmap-lint.' + group)} name={xml_attr(r.host)}"
        if not r.findings:
            yield head + "/>\n"
            continue
        lines = [
            f"{f.severity} {f.code} {f.name}: {f.message}"
            + (f" [{f.param}]" if f.param else "")
            + (f" ({f.location})" if f.location else "")
            for f in r.findings
        ]
        summary = f"{len(r.findings)} finding(s): " + ", ".join(
            sorted({f.code for f in r.findings})
        )
        yield (
            head
            + ">\n"
            + f'      <failure message={xml_attr(summary)} type="memmap-lint">'
            + xml_escape("\n".join(lines))
            + "</failure>\n    </testcase>\n"
        )
    yield "  </testsuite>\n</testsuites>\n"
