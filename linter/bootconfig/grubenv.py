"""``grubenv``: the 1024-byte GRUB environment block written by ``grub-editenv``.

Format (grub-core/lib/envblk.c, observed with grub-editenv): the signature line ``# GRUB Environment
Block``, then ``name=value`` lines where ``\\`` escapes the next character (``\\\\`` is a
backslash), and ``#`` padding to 1024 bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from memmap_lint.bootconfig.base import Context, Source
from memmap_lint.bootconfig.model import Assignment, BootConfig, Diagnostic, Origin, Traced

SIGNATURE = "# GRUB Environment Block\n"
SIZE = 1024


def parse_envblk(text: str, path: str) -> tuple[dict[str, Traced], list[Diagnostic]]:
    """Variables of an environment block, each character traced to the file."""
    src = Traced.of_file(text, path)
    diags: list[Diagnostic] = []
    if not text.startswith(SIGNATURE):
        diags.append(
            Diagnostic(
                "not a GRUB environment block: the first line must be '# GRUB Environment Block'"
                " (load_env rejects the file)",
                Origin(path, 1, 1),
            )
        )
        return {}, diags
    size = len(text.encode("utf-8", "surrogateescape"))
    if size != SIZE:
        diags.append(
            Diagnostic(
                f"environment block is {size} bytes, grub-editenv writes exactly {SIZE}"
                " (edited by hand?)",
                Origin(path, 1, 1),
                "warning",
            )
        )
    values: dict[str, Traced] = {}
    i = len(SIGNATURE)
    n = len(text)
    while i < n:
        if text[i] == "#":
            k = text.find("\n", i)
            i = n if k < 0 else k + 1
            continue
        if text[i] == "\n":
            i += 1
            continue
        eq = text.find("=", i)
        nl = text.find("\n", i)
        if eq < 0 or (0 <= nl < eq):
            diags.append(
                Diagnostic(
                    "line without '=' in environment block",
                    src.origin(i) or Origin(path, 1, 1),
                    "warning",
                )
            )
            i = n if nl < 0 else nl + 1
            continue
        name = text[i:eq]
        j = eq + 1
        chars: list[int] = []
        while j < n and text[j] != "\n":
            if text[j] == "\\" and j + 1 < n:
                chars.append(j + 1)
                j += 2
                continue
            chars.append(j)
            j += 1
        values[name] = Traced("".join(text[k] for k in chars), tuple(src.origins[k] for k in chars))
        i = j + 1
    return values, diags


class GrubenvFrontend:
    kind = "grubenv"

    def detect(self, path: str, text: str) -> bool:
        return text.startswith(SIGNATURE)

    def parse(self, sources: Sequence[Source], context: Context) -> BootConfig:
        variables: dict[str, Assignment] = {}
        diags: list[Diagnostic] = []
        for s in sources:
            values, d = parse_envblk(s.text, s.path)
            diags.extend(d)
            for name, value in values.items():
                origin = value.first_origin() or Origin(s.path, 1, 1)
                name_origin = Origin(
                    origin.path, origin.line, max(1, origin.column - len(name) - 1)
                )
                variables[name] = Assignment(
                    name, value.text, name_origin, value.spans(), variables.get(name)
                )
        return BootConfig(self.kind, tuple(s.path for s in sources), (), variables, tuple(diags))
