"""What a fix is: text edits to boot files, what they do to each entry, and how safe they are."""

from __future__ import annotations

from dataclasses import dataclass

from memmap_lint.bootconfig.view import BootView
from memmap_lint.kernel.release import Kernel

#: Applicability, as ruff marks it. A safe fix changes nothing but the defect; an unsafe one may
#: change more (an address, a name other tools look up) and is applied only with --unsafe-fixes.
SAFE = "safe"
UNSAFE = "unsafe"


@dataclass(frozen=True, slots=True, order=True)
class Edit:
    """Replace ``[start, end)`` (character offsets) of the file ``path`` with ``text``."""

    path: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True, order=True)
class Change:
    """What an edit does to one entry's command line: ``[start, end)`` becomes ``text``."""

    entry: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """One repair: the file edits and the command-line change they make in every entry.

    ``code`` is the finding it repairs; ``title`` says what it does, ``why`` what besides the
    defect changes when it is unsafe.
    """

    code: str
    title: str
    applicability: str
    edits: tuple[Edit, ...]
    changes: tuple[Change, ...]
    why: str = ""


@dataclass(frozen=True)
class Target:
    """One entry of a boot configuration and the kernel that boots from it."""

    index: int
    view: BootView
    kernel: Kernel
