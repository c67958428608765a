"""``grub.cfg``: menu entries, their ``linux`` lines, GRUB variables and the default entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from memmap_lint.bootconfig.base import Context, Source
from memmap_lint.bootconfig.grubscript import (
    Interpreter,
    MenuEntry,
    Scope,
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
class ScriptResult:
    entries: tuple[BootEntry, ...]
    variables: dict[str, Assignment]
    diagnostics: tuple[Diagnostic, ...]


#: Variables GRUB 2.06 sets before reading grub.cfg (normal/main.c ``features``).
FEATURES = {
    name: Traced.plain("y")
    for name in (
        "feature_chainloader_bpb",
        "feature_ntldr",
        "feature_platform_search_hint",
        "feature_default_font_path",
        "feature_all_video_module",
        "feature_menuentry_id",
        "feature_menuentry_options",
        "feature_200_cryptodisk",
        "feature_nativedisk_cmd",
        "feature_timeout_style",
    )
}


#: How a diagnostic for a linux line cut by a line break starts.
STRAY_LINE = "the linux line is cut by a line break"


def _kind_of(title: str) -> str:
    return "recovery" if "recovery mode" in title.lower() else "normal"


def run_grub_script(
    src: Traced, path: str, context: Context, extra_notes: Sequence[str] = ()
) -> ScriptResult:
    """Run a grub.cfg text: every leaf menu entry with the command line its kernel receives."""
    nodes, errors = parse_script(src)
    diags: list[Diagnostic] = diagnostics_from(
        [(f"{m} (grub-script-check fails; GRUB skips this command)", i) for m, i in errors],
        src,
        path,
    )
    has_env = bool(context.grubenv)
    interp = Interpreter(path, context.grubenv, lambda p: has_env and p.endswith("grubenv"))
    scope = Scope(dict(FEATURES))
    top: list[MenuEntry] = []
    interp.run(nodes, scope, top)
    default = scope.env.get("default")
    default_path, default_note = resolve_default_tree(interp, top, scope, default)
    out: list[BootEntry] = []
    cut: set[Origin] = set()

    def walk(level: list[MenuEntry], prefix: str, path_idx: list[int]) -> None:
        for i, e in enumerate(level):
            here = [*path_idx, i]
            if e.children is not None:
                walk(e.children, f"{prefix}{e.title}>", here)
                continue
            run = run_entry(interp, e, scope.env)
            notes = list(extra_notes)
            if run is None:
                continue
            loader = create_loader_cmdline(run.argv)
            notes.extend(run.notes)
            stray = run.stray.first_origin() if run.stray is not None else None
            if stray is not None:
                notes.append(f"{STRAY_LINE} at {stray}")
            if run.stray is not None and stray is not None and stray not in cut:
                cut.add(stray)
                diags.append(
                    Diagnostic(
                        f"{STRAY_LINE}: GRUB runs {run.stray.text!r} as a command (error: can't "
                        "find command), so the kernel never receives these words; they belong "
                        "on the linux line above",
                        stray,
                    )
                )
            if loader.dropped:
                notes.append(
                    "GRUB dropped these words, the command line buffer being full: "
                    + " ".join(loader.dropped)
                )
            if run.command == "linuxefi":
                notes.append("linuxefi: buffer size taken as for the x86 linux loader")
            is_default = here == default_path
            if is_default and default_note:
                notes.append(default_note)
            out.append(
                BootEntry(
                    title=prefix + e.title,
                    kind=_kind_of(e.title),
                    cmdline=loader.text.text,
                    origins=loader.text.spans(),
                    is_default=is_default,
                    notes=tuple(notes),
                    id=e.id,
                    kernel=image_release(run.argv[0].text) if run.argv else None,
                    dropped=loader.dropped,
                    dropped_at=loader.dropped_at,
                )
            )

    walk(top, "", [])
    return ScriptResult(tuple(out), dict(scope.assignments), tuple(diags))


def resolve_default_tree(
    interp: Interpreter, top: list[MenuEntry], scope: Scope, default: Traced | None
) -> tuple[list[int], str | None]:
    """Fill submenus (their bodies run when entered) and find the default entry's index path."""
    _fill_submenus(interp, top, scope)
    return resolve_default(top, default.text if default is not None else None)


def _fill_submenus(interp: Interpreter, level: list[MenuEntry], scope: Scope) -> None:
    for e in level:
        if e.children is not None and not e.children:
            sub_scope = Scope(scope.env, list(e.args))
            interp.run(e.body, sub_scope, e.children)
            _fill_submenus(interp, e.children, scope)


class GrubCfgFrontend:
    kind = "grub-cfg"

    def detect(self, path: str, text: str) -> bool:
        return "menuentry " in text and ("linux" in text or "blscfg" in text)

    def parse(self, sources: Sequence[Source], context: Context) -> BootConfig:
        entries: list[BootEntry] = []
        variables: dict[str, Assignment] = {}
        diags: list[Diagnostic] = []
        for s in sources:
            notes: list[str] = []
            if "blscfg" in s.text:
                notes.append("this grub.cfg runs blscfg: entries also come from BLS files")
            result = run_grub_script(Traced.of_file(s.text, s.path), s.path, context, notes)
            entries.extend(result.entries)
            variables.update(result.variables)
            diags.extend(result.diagnostics)
        return BootConfig(
            self.kind, tuple(s.path for s in sources), tuple(entries), variables, tuple(diags)
        )
