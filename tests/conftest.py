"""Tests that drive real tools carry a marker naming the tool (qemu, sshd, grub, precommit,
browser, ansible, shells). On a developer's machine such a test skips, with its reason, when
the tool is missing. With ``MEMMAP_LINT_REQUIRE_TOOLS=1`` (``.ci/run`` sets it) that skip is a
failure instead: CI cannot pass by skipping the tests that matter most."""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

TOOL_MARKERS = frozenset({"qemu", "sshd", "grub", "precommit", "browser", "ansible", "shells"})
REQUIRE_VARIABLE = "MEMMAP_LINT_REQUIRE_TOOLS"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.skipped or os.environ.get(REQUIRE_VARIABLE) != "1":
        return
    tools = sorted(TOOL_MARKERS & {m.name for m in item.iter_markers()})
    if not tools:
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = (
        f"{REQUIRE_VARIABLE}=1, and this test of {', '.join(tools)} was skipped: {reason}"
    )
