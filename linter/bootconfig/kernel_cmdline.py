"""``/etc/kernel/cmdline`` (kernel-install, systemd-boot/UKI) and ``/proc/cmdline`` captures."""

from __future__ import annotations

from collections.abc import Sequence

from memmap_lint.bootconfig.base import Context, Source
from memmap_lint.bootconfig.model import BootConfig, BootEntry, Diagnostic, Origin, Traced

_WS = " \t\n\r\v\f"


class KernelCmdlineFrontend:
    """``/etc/kernel/cmdline``: kernel-install squeezes whitespace (``tr -s "$IFS" ' '``) and
    writes the result as the entry's ``options``; systemd-boot passes it unchanged (systemd
    src/kernel-install/90-loaderentry.install)."""

    kind = "kernel-cmdline"

    def detect(self, path: str, text: str) -> bool:
        return False  # nothing in it marks it: known by its name only

    def parse(self, sources: Sequence[Source], context: Context) -> BootConfig:
        entries = []
        for s in sources:
            src = Traced.of_file(s.text, s.path)
            words: list[Traced] = []
            i, n = 0, len(s.text)
            while i < n:
                while i < n and s.text[i] in _WS:
                    i += 1
                j = i
                while j < n and s.text[j] not in _WS:
                    j += 1
                if j > i:
                    words.append(src[i:j])
                i = j
            parts: list[Traced] = []
            for k, w in enumerate(words):
                if k:
                    parts.append(Traced.plain(" "))
                parts.append(w)
            line = Traced.join(parts)
            notes: tuple[str, ...] = ()
            if s.text.count("\n") > 1 or "\t" in s.text:
                notes = ("kernel-install joins the lines and squeezes whitespace to one space",)
            entries.append(BootEntry(s.path, "cmdline", line.text, line.spans(), True, notes))
        return BootConfig(self.kind, tuple(s.path for s in sources), tuple(entries))


class ProcCmdlineFrontend:
    """A capture of ``/proc/cmdline``: the kernel's saved command line, one line."""

    kind = "proc-cmdline"

    def detect(self, path: str, text: str) -> bool:
        return text.count("\n") <= 1 and text.startswith("BOOT_IMAGE=")

    def parse(self, sources: Sequence[Source], context: Context) -> BootConfig:
        entries = []
        diags = []
        for s in sources:
            text = s.text[:-1] if s.text.endswith("\n") else s.text
            if "\n" in text:
                line = text.count("\n", 0, text.index("\n")) + 1
                diags.append(
                    Diagnostic(
                        "/proc/cmdline has one line; the rest of this file is not a command line",
                        Origin(s.path, line + 1, 1),
                        "warning",
                    )
                )
                text = text[: text.index("\n")]
            src = Traced.of_file(text, s.path)
            entries.append(BootEntry(s.path, "cmdline", src.text, src.spans(), True))
        return BootConfig(
            self.kind, tuple(s.path for s in sources), tuple(entries), {}, tuple(diags)
        )
