"""Data model of parsed boot configuration files, and text that remembers where it came from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from memmap_lint.kernel.cmdline import parse


@dataclass(frozen=True, slots=True)
class Origin:
    """A position in a file: 1-based line and column (columns count characters; a tab is one)."""

    path: str
    line: int
    column: int

    def shifted(self, columns: int) -> Origin:
        """The position ``columns`` characters further on the same line."""
        return Origin(self.path, self.line, self.column + columns)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Traced:
    """A string whose every character knows the file position that produced it (or None)."""

    text: str
    origins: tuple[Origin | None, ...]

    @staticmethod
    def plain(text: str, origin: Origin | None = None) -> Traced:
        """``text`` with every character attributed to ``origin`` (synthesized text: None)."""
        return Traced(text, (origin,) * len(text))

    @staticmethod
    def of_file(text: str, path: str, line: int = 1, column: int = 1) -> Traced:
        """``text`` as read from ``path`` starting at ``line``:``column``."""
        origins: list[Origin | None] = []
        for ch in text:
            origins.append(Origin(path, line, column))
            if ch == "\n":
                line += 1
                column = 1
            else:
                column += 1
        return Traced(text, tuple(origins))

    @staticmethod
    def join(parts: Iterable[Traced]) -> Traced:
        texts: list[str] = []
        origins: list[Origin | None] = []
        for p in parts:
            texts.append(p.text)
            origins.extend(p.origins)
        return Traced("".join(texts), tuple(origins))

    def __add__(self, other: Traced) -> Traced:
        return Traced(self.text + other.text, self.origins + other.origins)

    def __getitem__(self, key: slice) -> Traced:
        return Traced(self.text[key], self.origins[key])

    def __len__(self) -> int:
        return len(self.text)

    def origin(self, index: int) -> Origin | None:
        """Where character ``index`` came from."""
        if 0 <= index < len(self.origins):
            return self.origins[index]
        return None

    def first_origin(self) -> Origin | None:
        """The first known origin in the text, if any."""
        return next((o for o in self.origins if o is not None), None)

    def spans(self) -> tuple[tuple[int, int, Origin], ...]:
        """Maximal runs whose characters sit side by side on one line of one file."""
        out: list[tuple[int, int, Origin]] = []
        start = 0
        run: Origin | None = None
        for i, o in enumerate(self.origins):
            if run is not None and o is not None and o == run.shifted(i - start):
                continue
            if run is not None:
                out.append((start, i, run))
            start, run = i, o
        if run is not None:
            out.append((start, len(self.origins), run))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A syntax problem or a hazard found while reading a file (``severity``: error|warning)."""

    message: str
    origin: Origin
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.origin}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class Assignment:
    """A variable's value and where it was set; ``previous`` is the assignment it replaced."""

    name: str
    value: str
    origin: Origin
    value_origins: tuple[tuple[int, int, Origin], ...] = ()
    previous: Assignment | None = None

    def history(self) -> tuple[Assignment, ...]:
        """This assignment and every one it replaced, latest first."""
        out: list[Assignment] = []
        a: Assignment | None = self
        while a is not None:
            out.append(a)
            a = a.previous
        return tuple(out)


@dataclass(frozen=True, slots=True)
class BootEntry:
    """One boot entry and the exact command line its kernel receives.

    ``origins`` maps character spans ``[start, end)`` of ``cmdline`` to the file position of the
    span's first character; characters inside a span are consecutive in that file line.
    Characters covered by no span were synthesized (``BOOT_IMAGE=``, ``ro``, a separator).
    ``kernel``: the release of the kernel the entry boots when the file names it (BLS
    ``version``, the ``vmlinuz-RELEASE`` of a ``linux`` path, a UKI's ``.uname``); a kernel
    named without a version (``vmlinuz-linux-cachyos``) gives its bare name. ``dropped``: the
    words GRUB's loader left out because its command-line buffer was full, ``dropped_at`` where
    the first of them was written.
    """

    title: str
    kind: str
    cmdline: str
    origins: tuple[tuple[int, int, Origin], ...] = ()
    is_default: bool = False
    notes: tuple[str, ...] = ()
    id: str | None = None
    kernel: str | None = None
    dropped: tuple[str, ...] = ()
    dropped_at: Origin | None = None

    @property
    def image(self) -> str | None:
        """The kernel image the entry boots as GRUB names it: a ``BOOT_IMAGE=`` first on the
        line, read as the kernel reads that token."""
        line = parse(self.cmdline)
        first = line.params[0] if line.params else None
        if first is None or first.start != 0 or first.name != "BOOT_IMAGE":
            return None
        return first.value

    @property
    def recovery(self) -> bool:
        """A recovery (GRUB) or rescue (BLS) entry."""
        text = f"{self.title} {self.id or ''}".lower()
        return self.kind == "recovery" or "rescue" in text or "recovery mode" in text

    def origin_at(self, offset: int) -> Origin | None:
        """Where the character at ``offset`` of ``cmdline`` was written, if it was."""
        for start, end, origin in self.origins:
            if start <= offset < end:
                return origin.shifted(offset - start)
        return None


def image_release(path: str) -> str | None:
    """``/boot/vmlinuz-6.1.0-28-amd64`` -> ``6.1.0-28-amd64``; ``vmlinuz-linux`` -> ``linux``."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].strip()
    for prefix in ("vmlinuz-", "vmlinux-", "bzImage-", "kernel-"):
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix) :]
    return None


@dataclass(frozen=True, slots=True)
class BootConfig:
    """The result of reading one boot configuration (a file, or a file with its drop-ins)."""

    kind: str
    paths: tuple[str, ...]
    entries: tuple[BootEntry, ...] = ()
    variables: Mapping[str, Assignment] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()
    #: What the kernel receives also depends on something outside these files (Secure Boot,
    #: a ``bootconfig`` flag on the boot loader's line): said once per configuration (MM508).
    caveats: tuple[str, ...] = ()

    @property
    def default_entry(self) -> BootEntry | None:
        """The entry the next boot uses, when knowable."""
        return next((e for e in self.entries if e.is_default), None)
