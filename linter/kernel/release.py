"""The next boot's kernel: its release, what it supports, and which dialect it speaks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from memmap_lint.kernel.model import DIALECTS, MAINLINE, RFC, STOCK

#: The kernel feature that declares the RFC wildcard patch.
WILDCARD_FEATURE = "memmap-wildcard"

_RELEASE = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_release(release: str | None) -> tuple[int, int, int] | None:
    """``6.1.0-28-amd64`` -> (6, 1, 0); None when the text is not a kernel release."""
    if not release:
        return None
    m = _RELEASE.match(release)
    if not m or any(len(g) > 9 for g in m.groups("")):  # no kernel has such a version
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


@dataclass(frozen=True, slots=True)
class Kernel:
    """What the simulator needs to know of the next boot's kernel."""

    release: str | None
    version: tuple[int, int, int] | None
    dialect: str
    features: frozenset[str] = frozenset()

    def at_least(self, version: tuple[int, int, int]) -> bool | None:
        """Whether this kernel is ``version`` or later (None: the release is unknown)."""
        return None if self.version is None else self.version >= version

    @property
    def has_reserve_mem(self) -> bool:
        """``reserve_mem=`` exists from 6.11 (mm/memblock.c, commit 1e4c64b71c9b)."""
        if self.version is None:
            return self.dialect == MAINLINE
        return self.version >= (6, 11, 0)

    @property
    def has_reserved_kern(self) -> bool | None:
        """Whether setup_data still becomes E820_TYPE_RESERVED_KERN (removed around 6.15).

        None when the release is between 6.13 and 6.15: which release removed it is not
        established (arch/x86/kernel/e820.c ``e820__reserve_setup_data()``).
        """
        if self.version is None:
            return True
        if self.version < (6, 13, 0):
            return True
        if self.version >= (6, 16, 0):
            return False
        return None

    @property
    def has_efi_fake_mem(self) -> bool:
        """``efi_fake_mem=`` (and the boot code that reads it) until "x86/efi: Drop support for
        fake EFI memory maps" (commit 37aee82c213d, merged for 6.11); False when unknown."""
        return self.version is not None and self.version < (6, 11, 0)

    @property
    def has_mem_name(self) -> bool:
        """``ramoops.mem_name=`` came with reserve_mem (6.11); the RFC kernel has its own patch.

        With the RFC, ramoops reads the name only when built in (patch 2/2, ``#ifndef MODULE``):
        MM407 reports that caveat; here the parameter counts as understood.
        """
        return self.dialect == RFC or self.has_reserve_mem


def kernel_for(
    release: str | None = None,
    features: frozenset[str] | set[str] | list[str] | tuple[str, ...] = (),
    dialect: str | None = None,
) -> Kernel:
    """Decide the dialect: an explicit one wins, then the wildcard feature, then the release."""
    feats = frozenset(features)
    version = parse_release(release)
    if dialect is not None:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r} (expected one of {', '.join(DIALECTS)})")
        chosen = dialect
    elif WILDCARD_FEATURE in feats:
        chosen = RFC
    elif version is not None and version >= (6, 11, 0):
        chosen = MAINLINE
    else:
        chosen = STOCK
    return Kernel(release, version, chosen, feats)
