"""Parsers stay linear on hostile input: doubling the input at most about doubles the time
(a quadratic parser quadruples it). Once: a 1M-digit size took over 60 s, a grub.cfg with 6,500
stray ``fi`` lines 85 s."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from memmap_lint.bootconfig import parse_boot_text
from memmap_lint.kernel.sizes import U64, memparse


def _best_of(fn: Callable[[], object], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _assert_linear(make: Callable[[int], Callable[[], object]], n: int) -> None:
    small, large = _best_of(make(n)), _best_of(make(4 * n))
    assert large < 8 * small + 0.05, (small, large)  # quadratic would be 16x


def test_memparse_digits_linear_and_bit_exact() -> None:
    _assert_linear(lambda n: lambda: memparse("7" * n + "M"), 250_000)
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        for digits in ("123456789" * 600, "9" * 4001, "1" + "0" * 30):
            p = memparse(digits + "K")
            assert p.value == (int(digits) << 10) & U64 and p.wrapped
    finally:
        sys.set_int_max_str_digits(old)


def test_grub_cfg_stray_fi_linear() -> None:
    def make(n: int) -> Callable[[], object]:
        text = "set default=0\n" + "fi\n" * n
        return lambda: parse_boot_text(text, "grub-cfg", "grub.cfg")

    _assert_linear(make, 1500)


def test_grub_cfg_6500_stray_fi_through_the_cli(tmp_path: Path) -> None:
    cfg = tmp_path / "grub.cfg"
    cfg.write_text("set default=0\n" + "fi\n" * 6500)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", str(cfg), "--kind", "grub-cfg"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr
    assert time.monotonic() - started < 60
