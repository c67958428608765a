"""Boot Loader Specification entries (``/boot/loader/entries/*.conf``) as GRUB's blscfg runs them.

rhboot/grub2 ``grub-core/commands/blscfg.c``: each line is ``key value`` (leading blanks
skipped, ``#`` lines skipped, the first space, else the first tab, separates); a line with no
separator or nothing after it ends the file. ``create_entry`` turns an entry into the script
``linux ($root)<linux> <options>`` with the title as the menu entry's ``$1``, and GRUB's lexer
runs it at boot, so ``options $kernelopts`` takes ``kernelopts`` from grubenv (RHEL 8). Newer
builds (commit 770e0757) first pass ``options`` through ``expand_val``, which replaces every
``$NAME`` (``[A-Za-z0-9_]*``) with its value and knows no escape.
Entries are sorted by ``version`` (rpm-style ``vercmp``) and listed newest first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cmp_to_key

from memmap_lint.bootconfig.base import Context, Source
from memmap_lint.bootconfig.grubscript import (
    Interpreter,
    LoaderCmdline,
    MenuEntry,
    create_loader_cmdline,
    diagnostics_from,
    parse_script,
    resolve_default,
    run_entry,
)
from memmap_lint.bootconfig.model import (
    Assignment,
    BootConfig,
    BootEntry,
    Diagnostic,
    Origin,
    Traced,
    image_release,
)


@dataclass(frozen=True)
class BlsFile:
    id: str
    path: str
    keys: tuple[tuple[str, Traced], ...]

    def get(self, key: str) -> Traced | None:
        return next((v for k, v in self.keys if k == key), None)


def read_bls(source: Source) -> tuple[BlsFile, list[Diagnostic]]:
    """blscfg's ``read_entry`` on one file."""
    src = Traced.of_file(source.text, source.path)
    keys: list[tuple[str, Traced]] = []
    diags: list[Diagnostic] = []
    pos = 0
    lines = source.text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, 1):
        start = pos
        pos += len(line) + 1
        i = 0
        while i < len(line) and line[i] in " \t":
            i += 1
        if line[i : i + 1] == "#":
            continue
        sep = line.find(" ", i)
        if sep < 0:
            sep = line.find("\t", i)
        if sep < 0 or sep + 1 >= len(line):
            rest = [x for x in lines[number:] if x.strip() and not x.lstrip().startswith("#")]
            if rest:
                diags.append(
                    Diagnostic(
                        "blscfg stops reading the entry at this line (no value): the keys "
                        "after it are ignored",
                        Origin(source.path, number, i + 1),
                        "warning",
                    )
                )
            break
        j = sep + 1
        while j < len(line) and line[j] in " \t":
            j += 1
        keys.append((line[i:sep], src[start + j : start + len(line)]))
    name = source.path.replace("\\", "/").rsplit("/", 1)[-1]
    ident = name[:-5] if name.endswith(".conf") else name
    return BlsFile(ident, source.path, tuple(keys)), diags


def expand_val(value: Traced, env: Mapping[str, Traced]) -> Traced | None:
    """blscfg.c ``expand_val`` (rhboot 770e0757), bug for bug.

    A literal run of exactly one character before a ``$`` or at the end is lost (the code tests
    ``start != end``); an unset variable expands to nothing; None when nothing results.
    """
    text = value.text
    out: list[Traced] = []
    produced = False
    start = end = 0
    is_var = False

    def append(var: bool, s: int, e: int) -> None:
        nonlocal produced
        piece = value[s : e + 1]
        if var:
            v = env.get(piece.text)
            if v is None:
                return
            piece = v
        out.append(piece)
        produced = True

    for i, c in enumerate(text):
        if c == "$":
            if start != end:
                append(is_var, start, end)
            is_var = True
            start = i + 1
        elif is_var and not (c.isascii() and (c.isalnum() or c == "_")):
            append(is_var, start, end)
            is_var = False
            start = i
        end = i
    if start != end:
        append(is_var, start, end)
    return Traced.join(out) if produced else None


def vercmp(a: str, b: str) -> int:
    """blscfg.c ``vercmp`` (rpm's algorithm)."""
    if a == b:
        return 0
    i = j = 0
    while i < len(a) or j < len(b):
        while i < len(a) and not a[i].isalnum() and a[i] != "~":
            i += 1
        while j < len(b) and not b[j].isalnum() and b[j] != "~":
            j += 1
        if (i < len(a) and a[i] == "~") or (j < len(b) and b[j] == "~"):
            if i >= len(a) or a[i] != "~":
                return 1
            if j >= len(b) or b[j] != "~":
                return -1
            i += 1
            j += 1
            continue
        if not (i < len(a) and j < len(b)):
            break
        pat = r"[0-9]+" if a[i].isdigit() else r"[A-Za-z]+"
        ma = re.compile(pat).match(a, i)
        mb = re.compile(pat).match(b, j)
        sa = ma.group() if ma else ""
        sb = mb.group() if mb else ""
        if not sa:
            return -1
        if not sb:
            return 1 if a[i].isdigit() else -1
        if a[i].isdigit():
            sa, sb = sa.lstrip("0"), sb.lstrip("0")
            if len(sa) != len(sb):
                return 1 if len(sa) > len(sb) else -1
        if sa != sb:
            return 1 if sa > sb else -1
        i += len(ma.group()) if ma else 0
        j += len(mb.group()) if mb else 0
    if i >= len(a) and j >= len(b):
        return 0
    return -1 if i >= len(a) else 1


def _generated_script(bls: BlsFile, options: Traced | None) -> Traced:
    linux = bls.get("linux") or Traced("", ())
    parts = [Traced.plain("linux ($root)"), linux]
    if options is not None:
        parts += [Traced.plain(" "), options]
    parts.append(Traced.plain("\n"))
    return Traced.join(parts)


def _release(bls: BlsFile) -> str | None:
    """The entry's kernel: its ``version`` key, else the release in its ``linux`` path."""
    version = bls.get("version")
    if version is not None and version.text.strip():
        return version.text.strip()
    linux = bls.get("linux")
    return image_release(linux.text) if linux is not None else None


class BlsFrontend:
    kind = "bls"

    def detect(self, path: str, text: str) -> bool:
        return (
            path.endswith(".conf")
            and bool(re.search(r"(?m)^\s*linux\s", text))
            and bool(re.search(r"(?m)^\s*(title|options|version)\s", text))
        )

    def parse(self, sources: Sequence[Source], context: Context) -> BootConfig:
        diags: list[Diagnostic] = []
        files: list[BlsFile] = []
        for s in sources:
            bls, d = read_bls(s)
            files.append(bls)
            diags.extend(d)
        use_version = all(f.get("version") is not None for f in files)

        def cmp(x: BlsFile, y: BlsFile) -> int:
            if use_version:
                r = vercmp(
                    (x.get("version") or Traced("", ())).text,
                    (y.get("version") or Traced("", ())).text,
                )
                if r:
                    return r
            return vercmp(x.id, y.id)

        ordered = sorted(files, key=cmp_to_key(cmp), reverse=True)
        env: dict[str, Traced] = {"root": Traced.plain(context.grub_root)}
        env.update(context.grubenv)
        interp = Interpreter(sources[0].path if sources else "<inline>", env)
        menu: list[MenuEntry] = []
        runs = []
        for bls in ordered:
            if bls.get("linux") is None:
                diags.append(
                    Diagnostic(
                        "BLS entry without a 'linux' key: blscfg skips it",
                        Origin(bls.path, 1, 1),
                        "warning",
                    )
                )
                continue
            title = bls.get("title") or bls.get("linux") or Traced("", ())
            options = bls.get("options")
            plain = self._run(interp, bls, title, options, env, diags, report=True)
            expanded_opts = expand_val(options, env) if options is not None else None
            other = self._run(interp, bls, title, expanded_opts, env, [], report=False)
            menu.append(MenuEntry(title.text, bls.id, [title], (), 0))
            runs.append((bls, title, plain, other))
        saved = env.get("next_entry") or env.get("saved_entry")
        default_path, default_note = resolve_default(menu, saved.text if saved else None)
        entries: list[BootEntry] = []
        for index, (bls, title, plain, other) in enumerate(runs):
            if plain is None:
                continue
            notes = list(plain[1])
            if other is not None and other[0].text.text != plain[0].text.text:
                notes.append(
                    "with blscfg's expand_val (newer rhboot builds) the kernel gets instead: "
                    + other[0].text.text
                )
            if context.grub_root and "root" not in context.grubenv:
                notes.append(f"($root) is GRUB's boot partition: {context.grub_root!r} assumed")
            is_default = default_path == [index]
            if is_default and default_note:
                notes.append(default_note)
            entries.append(
                BootEntry(
                    title.text,
                    "bls",
                    plain[0].text.text,
                    plain[0].text.spans(),
                    is_default,
                    tuple(notes),
                    bls.id,
                    _release(bls),
                    plain[0].dropped,
                    plain[0].dropped_at,
                )
            )
        variables: dict[str, Assignment] = {}
        for name, value in context.grubenv.items():
            origin = value.first_origin() or Origin(context.grubenv_path or "grubenv", 1, 1)
            variables[name] = Assignment(name, value.text, origin, value.spans())
        return BootConfig(
            self.kind, tuple(s.path for s in sources), tuple(entries), variables, tuple(diags)
        )

    @staticmethod
    def _run(
        interp: Interpreter,
        bls: BlsFile,
        title: Traced,
        options: Traced | None,
        env: Mapping[str, Traced],
        diags: list[Diagnostic],
        report: bool,
    ) -> tuple[LoaderCmdline, list[str]] | None:
        script = _generated_script(bls, options)
        nodes, errors = parse_script(script)
        if errors and report:
            for d in diagnostics_from(errors, script, bls.path):
                diags.append(
                    Diagnostic(
                        d.message + " (in the script blscfg generates: the entry cannot boot)",
                        d.origin,
                        d.severity,
                    )
                )
        entry = MenuEntry(title.text, bls.id, [title], nodes, 0)
        run = run_entry(interp, entry, env)
        if run is None:
            return None
        loader = create_loader_cmdline(run.argv)
        notes = list(run.notes)
        if loader.dropped:
            notes.append(
                "GRUB dropped these words, the command line buffer being full: "
                + " ".join(loader.dropped)
            )
        return loader, notes
