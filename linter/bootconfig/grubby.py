"""The text ``grubby --info=ALL`` prints: one block per boot entry.

grubby-bls (rhboot/grubby, ``display_info_values``) prints for each entry ``index=N``, then
``kernel=``, ``args="..."`` (the entry's ``options``; newer builds with ``$kernelopts``
expanded and ``root=`` split out into its own ``root="..."`` line), ``initrd=``, ``title=`` and,
in newer builds, ``id=``; values may be in double quotes. The command line here is ``root=ROOT``
(when printed apart) followed by ``args``; a non-Linux entry (no ``kernel=``) is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from memmap_lint.bootconfig.base import Context, Source
from memmap_lint.bootconfig.model import (
    BootConfig,
    BootEntry,
    Diagnostic,
    Origin,
    Traced,
    image_release,
)

_LINE = re.compile(r'^(index|kernel|args|root|initrd|title|id)=("?)(.*?)\2\s*$')


def _blocks(s: Source) -> list[dict[str, Traced]]:
    blocks: list[dict[str, Traced]] = []
    for n, line in enumerate(s.text.split("\n"), 1):
        m = _LINE.match(line)
        if m is None:
            continue
        key, value = m.group(1), m.group(3)
        if key == "index":
            blocks.append({})
        if not blocks:
            continue
        blocks[-1][key] = Traced.of_file(value, s.path, n, m.start(3) + 1)
    return blocks


class GrubbyFrontend:
    kind = "grubby"

    def detect(self, path: str, text: str) -> bool:
        return bool(re.match(r"\s*index=\d+\n", text)) and "\nkernel=" in text

    def parse(self, sources: Sequence[Source], context: Context) -> BootConfig:
        entries: list[BootEntry] = []
        diags: list[Diagnostic] = []
        for s in sources:
            blocks = _blocks(s)
            if not blocks:
                diags.append(
                    Diagnostic("no 'index=' block: not grubby --info output", Origin(s.path, 1, 1))
                )
            for b in blocks:
                kernel = b.get("kernel")
                if kernel is None or not kernel.text:
                    continue
                parts: list[Traced] = []
                root = b.get("root")
                if root is not None and root.text:
                    parts += [Traced.plain("root="), root]
                args = b.get("args")
                if args is not None and args.text:
                    parts += [Traced.plain(" ")] if parts else []
                    parts.append(args)
                line = Traced.join(parts)
                title = b.get("title") or kernel
                index = b.get("index")
                entries.append(
                    BootEntry(
                        title.text,
                        "normal",
                        line.text,
                        line.spans(),
                        False,
                        ("grubby prints root= apart from args: the entry's order may differ",)
                        if root is not None
                        else (),
                        b["id"].text if "id" in b else (index.text if index else None),
                        image_release(kernel.text),
                    )
                )
        return BootConfig(
            self.kind, tuple(s.path for s in sources), tuple(entries), {}, tuple(diags)
        )
