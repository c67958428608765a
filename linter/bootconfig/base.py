"""The interface every boot-loader front end implements (one module per front end)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from memmap_lint.bootconfig.model import BootConfig, Traced


@dataclass(frozen=True)
class Source:
    """One file's text and the name findings should use for it."""

    path: str
    text: str


@dataclass(frozen=True)
class Context:
    """What a front end may need besides its own files.

    ``grubenv``: variables of the GRUB environment block (``load_env``, BLS ``$kernelopts``).
    ``kernel_path``/``root_device``/``kernel_version``: what grub-mkconfig would fill in from the
    installed system; placeholders unless the caller knows them.
    """

    grubenv: Mapping[str, Traced] = field(default_factory=dict)
    grubenv_path: str | None = None
    kernel_path: str = "/boot/vmlinuz-VERSION"
    kernel_version: str = "VERSION"
    root_device: str = "UUID=00000000-0000-0000-0000-000000000000"
    grub_root: str = "hd0,gpt2"


class Frontend(Protocol):
    """A boot-loader configuration format."""

    #: BootConfig.kind this front end produces.
    kind: str

    def detect(self, path: str, text: str) -> bool:
        """Whether ``text`` (at ``path``, ``/``-separated) is this kind of file by what it holds;
        the names that decide alone are ``loader.detect_kind``'s."""
        ...

    def parse(self, sources: Sequence[Source], context: Context) -> BootConfig:
        """Read ``sources`` (in the order the boot tooling reads them) into a BootConfig."""
        ...
