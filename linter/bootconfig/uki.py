"""Unified kernel images (``*.efi``) and systemd-boot add-ons (``*.addon.efi``).

systemd-stub (src/boot/efi/stub.c) gives the kernel the UKI's ``.cmdline`` PE section, then the
``.cmdline`` of each add-on (global ``ESP/loader/addons/*.addon.efi`` first, then the UKI's own
``<uki>.efi.extra.d/*.addon.efi``, each in name order) joined by single spaces, each piece passed
through ``mangle_stub_cmdline`` (control characters become spaces; leading and trailing ones are
dropped). A command line passed by the boot loader replaces the UKI's ``.cmdline`` only without
Secure Boot: ``use_load_options`` refuses it when Secure Boot is on and the UKI has a ``.cmdline``.
The section table is read here from the PE/COFF headers; a section's text ends at its first NUL
(``xstrn8_to_16``). The ``.uname`` section names the kernel release.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

from memmap_lint.bootconfig.base import Context, Source
from memmap_lint.bootconfig.model import BootConfig, BootEntry, Diagnostic, Traced
from memmap_lint.errors import LintError

SECURE_BOOT_NOTE = (
    "with Secure Boot on, systemd-stub ignores a command line passed by the boot loader (this "
    ".cmdline is what the kernel gets); with it off, a boot loader's command line replaces it"
)


class PeError(Exception):
    pass


def pe_sections(data: bytes) -> dict[str, bytes]:
    """Section name -> contents (``min(VirtualSize, SizeOfRawData)`` bytes) of a PE image."""
    if len(data) < 0x40 or data[:2] != b"MZ":
        raise PeError("not a PE image (no MZ header)")
    (pe,) = struct.unpack_from("<I", data, 0x3C)
    if data[pe : pe + 4] != b"PE\0\0":
        raise PeError("not a PE image (no PE signature)")
    (count,) = struct.unpack_from("<H", data, pe + 6)
    (opt_size,) = struct.unpack_from("<H", data, pe + 20)
    (symtab, nsyms) = struct.unpack_from("<II", data, pe + 12)
    table = pe + 24 + opt_size
    out: dict[str, bytes] = {}
    for i in range(count):
        at = table + 40 * i
        if at + 40 > len(data):
            raise PeError("section table runs past the end of the file")
        raw_name = data[at : at + 8].rstrip(b"\0")
        vsize, _vaddr, rsize, rptr = struct.unpack_from("<IIII", data, at + 8)
        name = raw_name.decode("ascii", "replace")
        if name.startswith("/") and name[1:].isdigit():
            # A long name: an offset into the COFF string table after the symbols.
            strings = symtab + 18 * nsyms + int(name[1:])
            name = data[strings : data.find(b"\0", strings)].decode("ascii", "replace")
        size = min(vsize, rsize) if vsize else rsize
        out.setdefault(name, data[rptr : rptr + size])
    return out


def _section_text(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _mangled(text: str, path: str) -> Traced:
    """``mangle_stub_cmdline``: characters <= 0x20 and 0x7f become spaces, ends trimmed."""
    src = Traced.of_file(text, path)
    chars = [
        Traced.plain(" ") if (ord(c) < 0x20 or ord(c) == 0x7F) else src[i : i + 1]
        for i, c in enumerate(text)
    ]
    line = Traced.join(chars)
    lead = len(line.text) - len(line.text.lstrip(" "))
    return line[lead : len(line.text.rstrip(" "))]


def addons_of(uki: Path) -> list[Path]:
    """The add-ons systemd-stub loads with ``uki``: ``ESP/loader/addons`` then ``.extra.d``."""
    found: list[Path] = []
    if uki.parent.name == "Linux" and uki.parent.parent.name.upper() == "EFI":
        esp = uki.parent.parent.parent
        found += sorted((esp / "loader" / "addons").glob("*.addon.efi"))
    found += sorted(Path(f"{uki}.extra.d").glob("*.addon.efi"))
    return found


class UkiFrontend:
    """A UKI or an add-on; the sources after the first are add-ons appended to it."""

    kind = "uki"

    def detect(self, path: str, text: str) -> bool:
        return False  # known by its name only: a kernel with an EFI stub starts with "MZ" too

    def parse(self, sources: Sequence[Source], context: Context) -> BootConfig:
        pieces: list[Traced] = []
        diags: list[Diagnostic] = []
        notes: list[str] = []
        release: str | None = None
        for n, s in enumerate(sources):
            try:
                sections = pe_sections(s.text.encode("utf-8", "surrogateescape"))
            except PeError as exc:  # a file that is not what it claims: nothing was checked
                what = "unified kernel image" if n == 0 else "UKI add-on"
                raise LintError("MM505", f"{exc}: this is not a {what}", s.path, 1, 1) from None
            label = f"{s.path}#.cmdline"
            if n == 0 and ".uname" in sections:
                release = _section_text(sections[".uname"]).strip() or None
            if n == 0 and ".linux" in sections and ".cmdline" in sections:
                notes.append(SECURE_BOOT_NOTE)
            elif n == 0 and ".linux" in sections:
                notes.append(
                    "this UKI has no .cmdline section: the kernel gets the boot loader's command "
                    "line, which is not in this file"
                )
            if ".cmdline" not in sections:
                continue
            piece = _mangled(_section_text(sections[".cmdline"]), label)
            if piece.text:
                pieces += [Traced.plain(" ")] if pieces else []
                pieces.append(piece)
        line = Traced.join(pieces)
        first = sources[0].path if sources else "<uki>"
        if len(sources) > 1:
            notes.append("add-ons appended: " + ", ".join(s.path for s in sources[1:]))
        entry = BootEntry(
            first, "cmdline", line.text, line.spans(), True, tuple(notes), kernel=release
        )
        caveats = tuple(n for n in notes if n == SECURE_BOOT_NOTE or "no .cmdline" in n)
        return BootConfig(
            self.kind, tuple(s.path for s in sources), (entry,), {}, tuple(diags), caveats
        )
