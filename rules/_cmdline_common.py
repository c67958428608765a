"""Which MM1xx/MM2xx rule owns which piece (the kernel's reading is in ``memmap_lint.kernel``).

Ownership between the rules of the family (each problem is reported once):

- A ``memmap=`` piece that lands in the bare branch (``form == "limit"``) belongs to MM109, which
  explains any misreading that sent it there (``08M$1G``, ``4GB$12G``, ``4G2G``). A wildcard piece
  on a kernel without the RFC belongs to MM105.
- A number misread by a pitfall (octal, hex digit eaten as a suffix, unit letters, fractions,
  64-bit wrap, type number past 32 bits) belongs to MM102, including the text the kernel then
  leaves unread and a zero that comes from the misreading; MM101, MM103 and MM104 skip it.
- A piece with nothing the kernel can read as a number, and every other ``-EINVAL`` path, belongs
  to MM101; a size that is 0 without a pitfall belongs to MM103.
- On the RFC kernel, pieces that follow a named wildcard piece and do not start with a digit are
  the rest of a name cut at a comma: MM205 owns them.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.names import name_tails
from memmap_lint.kernel.params import MemmapItem, kernel_items
from memmap_lint.rule import HostContext

#: Kernel parameters that reserve, limit or consume memory.
MEMORY_KEYS = ("memmap", "mem", "reserve_mem", "trace_instance", "crashkernel")


def is_memory_param(param: Param) -> bool:
    """A parameter this family cares about (``ramoops.*`` included)."""
    return param.key in MEMORY_KEYS or param.key.startswith("ramoops.")


def owned_pieces(ctx: HostContext, only: Param | None) -> Iterator[tuple[Param, MemmapItem]]:
    """The ``memmap=`` pieces (of ``only``, else of every parameter) in order, except the name
    tails MM205 owns."""
    for param in (only,) if only is not None else ctx.cmdline.params:
        if param.key == "memmap" and param.value is not None:
            pieces = kernel_items(param, ctx.kernel)
            skip = name_tails(ctx.kernel, pieces)
            yield from ((param, item) for item in pieces if item.offset not in skip)
