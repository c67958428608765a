"""The kernel's bootconfig: a file in tools/bootconfig syntax, or appended to an initrd.

The parser follows lib/bootconfig.c (Linux 6.1, ``xbc_parse_tree`` and its helpers) bug for bug:
keys are dot-separated words of ``[A-Za-z0-9_-]``, ``=`` sets a value (a second ``=`` on the same
key is "Value is redefined"), ``+=`` appends, ``:=`` replaces, ``,`` makes an array, ``{ }``
nests, ``#`` starts a comment, values may be quoted with ``"`` or ``'`` (no escapes). An initrd
carries the text at its end as ``data, u32 size, u32 checksum, "#BOOTCONFIG\\n"``, the magic
possibly followed by up to 3 bytes of padding (init/main.c ``get_boot_config_from_initrd``).

init/main.c ``setup_boot_config`` reads it only when the boot loader's command line holds
``bootconfig`` (newer kernels also with CONFIG_BOOT_CONFIG_FORCE), and
``xbc_make_cmdline("kernel")`` renders every ``kernel.*`` key as ``key=value``
(``xbc_snprint_cmdline``: a value with whitespace in double quotes, a key without value as ``key``).
``setup_command_line`` puts that text before the boot loader's command line for ``parse_args``, but
``parse_early_param`` (called from x86 ``setup_arch`` before ``setup_boot_config``) reads the boot
loader's line only: early parameters set here (``memmap=``, ``mem=``; ``crashkernel=`` read from
``boot_command_line``) are silently skipped (``obsolete_checksetup`` returns true for them). So the
entry's command line holds only the parameters that take effect; the others stay in ``variables``
for MM507.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from memmap_lint.bootconfig.base import Context, Source
from memmap_lint.bootconfig.model import (
    Assignment,
    BootConfig,
    BootEntry,
    Diagnostic,
    Origin,
    Traced,
)

MAGIC = b"#BOOTCONFIG\n"
#: include/linux/bootconfig.h
XBC_DATA_MAX = (1 << 15) - 1
XBC_KEYLEN_MAX = 256
XBC_DEPTH_MAX = 16
_DELIMS = "{}=+;:\n#"
_VALUE_END = ",;\n#}"
_SPACE = " \t\n\v\f\r"

#: Early parameters (early_param, or read straight from boot_command_line) that a bootconfig
#: cannot set: arch/x86/kernel/e820.c ``early_param("memmap"/"mem")``, arch/x86/kernel/setup.c
#: ``parse_crashkernel(boot_command_line, ...)``, mm/memblock.c ``early_param("memblock")``,
#: arch/x86/platform/efi/ ``early_param("efi_fake_mem")``.
EARLY_PARAMS = frozenset({"memmap", "mem", "crashkernel", "memblock", "efi_fake_mem"})

NOT_READ_NOTE = (
    "the kernel reads a bootconfig only when the boot loader's command line holds 'bootconfig' "
    "(init/main.c setup_boot_config; newer kernels also with CONFIG_BOOT_CONFIG_FORCE=y), and "
    "puts its kernel.* parameters before the boot loader's (setup_command_line)"
)


class XbcError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass
class _Node:
    name: str
    pos: int
    keys: list[_Node] = field(default_factory=list)
    values: list[tuple[str, int]] | None = None
    parent: _Node | None = None

    def find(self, name: str) -> _Node | None:
        return next((n for n in self.keys if n.name == name), None)


def initrd_bootconfig(data: bytes) -> tuple[bytes, int] | None:
    """The bootconfig appended to an initrd image and its offset, as the kernel finds it.

    init/main.c ``get_boot_config_from_initrd``: the magic ends the image or sits up to 3 bytes
    before its end (GRUB may pad the initrd to 4 bytes); size and checksum precede it.
    """
    for back in range(4):
        end = len(data) - back
        if end >= len(MAGIC) + 8 and data[end - len(MAGIC) : end] == MAGIC:
            size, csum = struct.unpack_from("<II", data, end - len(MAGIC) - 8)
            start = end - len(MAGIC) - 8 - size
            if start < 0:
                raise XbcError(f"bootconfig size {size} is greater than initrd size", 0)
            blob = data[start : start + size]
            if sum(blob) & 0xFFFFFFFF != csum:
                raise XbcError("bootconfig checksum failed: the kernel ignores it", 0)
            return blob, start
    return None


class _Parser:
    """lib/bootconfig.c's tree builder over a str (positions are string indices)."""

    def __init__(self, data: str) -> None:
        self.data = data
        self.root = _Node("", -1)
        self.last: _Node | None = None  # last_parent; None is the top level
        self.braces: list[_Node] = []
        self.count = 0

    def parent(self) -> _Node:
        return self.last if self.last is not None else self.root

    def add_key(self, name: str, pos: int, start: int) -> None:
        if not name or any(not (c.isascii() and (c.isalnum() or c in "-_")) for c in name):
            raise XbcError("Invalid keyword", pos)
        parent = self.parent()
        node = parent.find(name) if self.count else None
        if node is None:
            node = _Node(name, start, parent=parent)
            parent.keys.append(node)
            self.count += 1
        self.last = node

    def parse_keys(self, start: int, end: int) -> None:
        k, first = _strim(self.data, start, end)
        pos = first
        for word in k.split("."):
            self.add_key(word, pos, first)
            pos += len(word) + 1

    def parse_value(self, v: int) -> tuple[str, int, int, str]:
        """``__xbc_parse_value``: (value, its index, next index, delimiter or '')."""
        d = self.data
        v = _skip_spaces(d, v)
        while v < len(d) and d[v] == "#":
            v = _skip_comment(d, v)
            v = _skip_spaces(d, v)
        quote = ""
        if v < len(d) and d[v] in "\"'":
            quote = d[v]
            v += 1
        p = v
        c = ""
        value = ""
        while p < len(d):
            c = d[p]
            if not (c.isprintable() or c in _SPACE) or ord(c) > 126:
                raise XbcError("Non printable value", p)
            if quote:
                if c != quote:
                    p += 1
                    continue
                value = d[v:p]
                quote = ""
                p = p + 1
                while p < len(d) and d[p] in _SPACE and d[p] != "\n":
                    p += 1
                c = d[p] if p < len(d) else ""
                if c and c not in _VALUE_END:
                    raise XbcError("No value delimiter", p)
                if c:
                    p += 1
                break
            if c in _VALUE_END:
                value, v = _strim(d, v, p)
                p += 1
                break
            p += 1
        else:
            c = ""
            value = d[v:p]  # at the end of the data the C code does not trim
        if quote:
            raise XbcError("No closing quotes", p)
        if c == "#":
            p = _skip_comment(d, p)
            c = "\n"
        return value, v, p, c

    def parse_kv(self, kstart: int, kend: int, v: int, op: str) -> int:
        prev = self.last
        self.parse_keys(kstart, kend)
        value, vpos, nxt, c = self.parse_value(v)
        node = self.parent()
        if node.values is not None and op == "=":
            raise XbcError("Value is redefined", vpos)
        if node.values is None or op == ":":
            node.values = []
        node.values.append((value, vpos))
        while c == ",":
            value, vpos, nxt, c = self.parse_value(nxt)
            node.values.append((value, vpos))
        self.last = prev
        if c == "}":
            self.close_brace(nxt - 1)
        return nxt

    def parse_key(self, start: int, end: int) -> None:
        prev = self.last
        if _strim(self.data, start, end)[0]:
            self.parse_keys(start, end)
            self.last = prev

    def close_brace(self, pos: int) -> None:
        if not self.braces or self.last is None or self.braces[-1] is not self.last:
            raise XbcError("Unexpected closing brace", pos)
        self.braces.pop()
        self.last = self.braces[-1] if self.braces else None

    def run(self) -> _Node:
        d = self.data
        p = 0
        while True:
            q = _find_any(d, p, _DELIMS)
            if q < 0:
                rest = _skip_spaces(d, p)
                if rest < len(d):
                    raise XbcError("No delimiter", rest)
                break
            c = d[q]
            if c in ":+":
                if d[q + 1 : q + 2] != "=":
                    raise XbcError(f"Wrong '{c}' operator", q)
                p = self.parse_kv(p, q, q + 2, c)
            elif c == "=":
                p = self.parse_kv(p, q, q + 1, c)
            elif c == "{":
                self.parse_keys(p, q)
                if len(self.braces) >= XBC_DEPTH_MAX:
                    raise XbcError("Exceed max depth of braces", q)
                self.braces.append(self.parent())
                p = q + 1
            elif c == "}":
                self.parse_key(p, q)
                self.close_brace(q)
                p = q + 1
            else:
                self.parse_key(p, q)
                p = _skip_comment(d, q + 1) if c == "#" else q + 1
        if self.braces:
            raise XbcError("Brace is not closed", self.braces[-1].pos)
        if not self.count:
            raise XbcError("Empty config", 0)
        _verify(self.root, 0, 0)
        return self.root


def _verify(node: _Node, length: int, depth: int) -> None:
    """``xbc_verify_tree``: key length and depth limits."""
    for k in node.keys:
        n = length + len(k.name) + 1
        if n > XBC_KEYLEN_MAX:
            raise XbcError("Too long key length", k.pos)
        if depth + 1 > XBC_DEPTH_MAX:
            raise XbcError("Too many key words", k.pos)
        _verify(k, n, depth + 1)


def _find_any(d: str, start: int, chars: str) -> int:
    hits = [i for i in (d.find(c, start) for c in chars) if i >= 0]
    return min(hits) if hits else -1


def _skip_spaces(d: str, i: int) -> int:
    while i < len(d) and d[i] in _SPACE:
        i += 1
    return i


def _skip_comment(d: str, i: int) -> int:
    nl = d.find("\n", i)
    return len(d) if nl < 0 else nl + 1


def _strim(d: str, start: int, end: int) -> tuple[str, int]:
    """The text between ``start`` and ``end`` without surrounding spaces, and where it starts."""
    text = d[start:end]
    lead = len(text) - len(text.lstrip(_SPACE))
    return text.strip(_SPACE), start + lead


def leaves(root: _Node, prefix: str = "") -> list[tuple[str, _Node]]:
    """Keys with a value or without subkeys, in tree order, with their dotted names."""
    out: list[tuple[str, _Node]] = []
    for k in root.keys:
        name = f"{prefix}{k.name}"
        if k.values is not None or not k.keys:
            out.append((name, k))
        out.extend(leaves(k, name + "."))
    return out


def parse_xbc(text: str) -> _Node:
    """Parse bootconfig text (up to its first NUL, as the kernel's C strings end there)."""
    data = text.split("\0", 1)[0]
    if len(data.encode("utf-8", "surrogateescape")) > XBC_DATA_MAX:
        raise XbcError(f"Config data is too big (the kernel takes at most {XBC_DATA_MAX} bytes)", 0)
    return _Parser(data).run()


def _origin(text: str, pos: int, path: str) -> Origin:
    line = text.count("\n", 0, pos) + 1
    return Origin(path, line, pos - (text.rfind("\n", 0, pos) + 1) + 1)


class BootconfigFrontend:
    """A bootconfig file, or an initrd image with one appended."""

    kind = "bootconfig"

    def detect(self, path: str, text: str) -> bool:
        return MAGIC.decode() in text[-len(MAGIC) - 3 :]

    def parse(self, sources: Sequence[Source], context: Context) -> BootConfig:
        entries: list[BootEntry] = []
        variables: dict[str, Assignment] = {}
        diags: list[Diagnostic] = []
        for s in sources:
            label, text = s.path, s.text
            try:
                raw = s.text.encode("utf-8", "surrogateescape")
                found = initrd_bootconfig(raw)
                if found is None and b"\0" in raw[:4096]:
                    raise XbcError("no bootconfig at the end of this image (no #BOOTCONFIG)", 0)
                if found is not None:
                    label = f"{s.path}#bootconfig"
                    text = found[0].decode("utf-8", "surrogateescape")
                root = parse_xbc(text)
            except XbcError as exc:
                diags.append(
                    Diagnostic(f"bootconfig: {exc.message}", _origin(text, exc.pos, label))
                )
                continue
            entry, found_vars = _entry(root, text, label)
            entries.append(entry)
            variables.update(found_vars)
        return BootConfig(
            self.kind,
            tuple(s.path for s in sources),
            tuple(entries),
            variables,
            tuple(diags),
            (NOT_READ_NOTE,) if entries else (),
        )


def _entry(root: _Node, text: str, label: str) -> tuple[BootEntry, dict[str, Assignment]]:
    kernel = root.find("kernel")
    parts: list[Traced] = []
    variables: dict[str, Assignment] = {}
    for name, node in leaves(kernel) if kernel is not None else []:
        key_at = _origin(text, node.pos, label)
        values = node.values or []
        spans = tuple((0, len(v), _origin(text, pos, label)) for v, pos in values[:1] if v)
        variables[f"kernel.{name}"] = Assignment(
            f"kernel.{name}", ", ".join(v for v, _ in values), key_at, spans
        )
        if name.split(".")[0] in EARLY_PARAMS:
            continue
        if not values:
            parts.append(
                Traced.plain(name[:1], key_at) + Traced.plain(name[1:]) + Traced.plain(" ")
            )
            continue
        for value, pos in values:
            quote = '"' if any(c in value for c in " \t\r\n") else ""
            at = _origin(text, pos, label)
            parts += [
                Traced.plain(name[:1], key_at),
                Traced.plain(f"{name[1:]}={quote}"),
                Traced.of_file(value, label, at.line, at.column),
                Traced.plain(f"{quote} "),
            ]
    line = Traced.join(parts)
    line = line[: len(line) - 1] if line.text.endswith(" ") else line
    entry = BootEntry(label, "cmdline", line.text, line.spans(), True, (NOT_READ_NOTE,))
    return entry, variables
