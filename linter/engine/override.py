"""What ``lint``'s command line says of the next boot: ``--kernel``, ``--dialect``,
``--feature`` and ``--e820``. Each wins over what a boot-files profile, a boot file or an
inventory says (``--e820`` applies to boot files only: an inventory names a map per host)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from memmap_lint.engine.hostinput import HostInput, with_kernel
from memmap_lint.errors import LintError


@dataclass(frozen=True)
class Override:
    """The next boot as the command line gives it (None or empty: not given)."""

    release: str | None = None
    dialect: str | None = None
    features: tuple[str, ...] = ()
    e820: str | None = None

    def __bool__(self) -> bool:
        return bool(self.release or self.dialect or self.features)


def overridden(inputs: Sequence[HostInput], override: Override) -> list[HostInput]:
    """Inventory hosts with the kernel the command line gives (``kernel``, ``dialect``,
    ``kernel_features`` replaced one by one)."""
    if override.e820:
        raise LintError(
            "MM001",
            "--e820 gives boot files a map; an inventory names each host's own (e820:)",
        )
    if not override:
        return list(inputs)
    out: list[HostInput] = []
    for inp in inputs:
        host = inp.host
        try:
            out.append(
                with_kernel(
                    inp,
                    override.release or host.get("kernel"),
                    override.features or tuple(host.get("kernel_features") or ()),
                    override.dialect or host.get("dialect"),
                )
            )
        except ValueError as exc:
            raise LintError("MM003", str(exc)) from exc
    return out
