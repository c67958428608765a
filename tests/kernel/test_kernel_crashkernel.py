"""kernel/crashkernel.py: ``crashkernel=`` as kernel/crash_core.c ``__parse_crashkernel()`` reads it."""

from __future__ import annotations

import pytest
from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.crashkernel import CRASH_LOW_DEFAULT, read_crashkernel

M, G = 1 << 20, 1 << 30


@pytest.mark.parametrize(
    ("text", "ram", "expected"),
    [
        ("crashkernel=256M", 8 * G, (256 * M, 0, False, 0)),
        ("crashkernel=256M@16M", 8 * G, (256 * M, 16 * M, False, 0)),
        # parse_crashkernel_mem(): the range that holds the system RAM gives the size.
        ("crashkernel=512M-2G:64M,2G-:128M", 8 * G, (128 * M, 0, False, 0)),
        ("crashkernel=512M-2G:64M,2G-:128M", 1 * G, (64 * M, 0, False, 0)),
        ("crashkernel=512M-2G:64M,2G-:128M", 256 * M, None),
        # get_last_crashkernel(): the last plain one counts; ,high without a plain one.
        ("crashkernel=64M crashkernel=128M", 8 * G, (128 * M, 0, False, 0)),
        ("crashkernel=1G,high", 8 * G, (G, 0, True, CRASH_LOW_DEFAULT)),
        ("crashkernel=1G,high crashkernel=72M,low", 8 * G, (G, 0, True, 72 * M)),
        ("crashkernel=1M@", 8 * G, (M, 0, False, 0)),
        ("crashkernel=foo", 8 * G, None),
        ("crashkernel=1000", 8 * G, (4096, 0, False, 0)),  # rounded up to a page
    ],
)
def test_read_crashkernel(text: str, ram: int, expected: tuple[int, int, bool, int] | None) -> None:
    crash = read_crashkernel(parse(text), ram)
    got = None if crash is None else (crash.size, crash.base, crash.high, crash.low)
    assert got == expected
