"""Every parser and the whole lint path, under hypothesis: any input gives a result or the
tool's own located error (LintError, LintErrors, PatternError), never another exception.

Bounded for CI (MEMMAP_LINT_FUZZ_EXAMPLES raises it); benchmarks/fuzz.py runs the long version.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memmap_lint.bootconfig import KINDS, parse_boot_text
from memmap_lint.captures.parse import parse_capture
from memmap_lint.cli.main import main
from memmap_lint.collect.target import resolve_target
from memmap_lint.errors import LintError, LintErrors
from memmap_lint.inventory.hostpattern import PatternError, expand_hostpattern
from memmap_lint.kernel.cmdline import parse as parse_cmdline
from memmap_lint.kernel.sizes import memparse

FUZZ = settings(
    max_examples=int(os.environ.get("MEMMAP_LINT_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
EXPECTED = (LintError, LintErrors, PatternError)
CAPTURE = Path(__file__).parent / "fixtures" / "hardening" / "cap.txt"
# text with the characters that broke reports and parsers: controls, NUL, NBSP, bidi, surrogates
HOSTILE = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from("\x00\x01\x1b\xa0\u202e\u2066\udcff[]{}:$;'\"\\\n*&!%="),
    ),
    max_size=200,
)


def _ok(call: object) -> None:
    with contextlib.suppress(*EXPECTED):
        call()  # type: ignore[operator]


@FUZZ
@given(HOSTILE)
def test_kernel_parsers(text: str) -> None:
    memparse(text)
    parse_cmdline(text)


@FUZZ
@given(HOSTILE)
def test_capture_and_patterns(text: str) -> None:
    _ok(lambda: parse_capture(text, "f"))
    _ok(lambda: expand_hostpattern(text))
    _ok(lambda: resolve_target(text or "x", {"ansible_host": text}))


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "uki"])
@FUZZ
@given(text=HOSTILE)
def test_boot_parsers(kind: str, text: str) -> None:
    _ok(lambda: parse_boot_text(text, kind, "boot"))


def _cli(args: list[str]) -> str:
    out = io.StringIO()
    err = io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        contextlib.suppress(SystemExit),
    ):
        main.__wrapped__(args)  # type: ignore[attr-defined]  # unguarded: a crash raises
    return out.getvalue()


@FUZZ
@given(name=HOSTILE, cmdline=HOSTILE, fmt=st.sampled_from(["json", "sarif", "junit", "text"]))
def test_whole_lint_path(tmp_path_factory: pytest.TempPathFactory, name: str, cmdline: str,
                         fmt: str) -> None:  # fmt: skip
    tmp = tmp_path_factory.mktemp("lint")
    shutil.copy(CAPTURE, tmp / "cap.txt")
    inventory = {"all": {"hosts": {name or "h": {"e820": str(tmp / "cap.txt"),
                                                  "kernel_cmdline": cmdline}}}}  # fmt: skip
    path = tmp / "inv.json"
    path.write_text(json.dumps(inventory), encoding="utf-8")
    out = _cli([str(path), "--format", fmt, "--output", str(tmp / "out")])
    assert out == ""


def test_fuzz_findings_stay_fixed() -> None:
    # inputs benchmarks/fuzz.py once found crashing (each was a traceback)
    from memmap_lint.kernel.release import parse_release

    assert parse_release("6.1.0" + "9" * 5000) is None
    with pytest.raises(PatternError):
        expand_hostpattern("h[a:z]:" + "9" * 5000)
    with pytest.raises(LintError):
        parse_capture('[{"start": 0, "end": "0x9f\udcff"}]', "f")


@pytest.mark.parametrize(
    "text",
    [
        "if true; then\n" * 2000 + "fi\n" * 2000,
        "submenu x {\n" * 1500 + "}\n" * 1500,
        "\xc2" + "{a: " * 1000,
    ],
    ids=["2000 nested if", "1500 submenu", "{a: x 1000"],
)
def test_grub_nesting_is_a_syntax_error_not_a_recursion_error(text: str) -> None:
    config = parse_boot_text(text, "grub-cfg", "grub.cfg")
    assert any("nested more than" in d.message for d in config.diagnostics)
