"""reserve_mem= on a kernel older than 6.11.

What it finds:
    A ``reserve_mem=`` parameter when the next kernel predates Linux 6.11 (the stock dialect, and
    the RFC kernel, which is a 6.1 kernel with the wildcard patch). When the release is unknown and
    nothing says otherwise, the host is taken as stock (< 6.11) and the message says so.

Why it matters:
    ``reserve_mem=`` came with commit 1e4c64b71c9b in v6.11 (mm/memblock.c). An older kernel has no
    handler for it: ``unknown_bootoption()`` passes it to init's environment and lists it in
    ``Unknown kernel command line parameters``. Nothing is reserved, and a consumer such as
    ``ramoops.mem_name=`` finds nothing (init/main.c ``unknown_bootoption()``; mm/memblock.c
    ``reserve_mem()``).

Example:
    ``reserve_mem=12M:4096:oops ramoops.mem_name=oops`` booted on Debian's 6.1 kernel.

How to fix:
    Boot Linux 6.11 or later for this host. On a kernel that carries the RFC wildcard patch,
    use ``memmap=12M*4096:oops`` instead; on other older kernels reserve a fixed range with
    ``memmap=12M$<address>`` and point the consumer at that address (``ramoops.mem_address=``,
    ``ramoops.mem_size=``).
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.model import RFC
from memmap_lint.kernel.names import reserve_mem_params
from memmap_lint.kernel.params import read_reserve_mem
from memmap_lint.rule import Hit, HostContext

CODE = "MM106"
NAME = "reserve-mem-unsupported"
SEVERITY = "error"
NEEDS_E820 = False


def check(ctx: HostContext) -> Iterator[Hit]:
    kernel = ctx.kernel
    if kernel.has_reserve_mem:
        return
    release = (
        f"kernel {kernel.release}"
        if kernel.release
        else "the next kernel (release unknown, taken as older than 6.11)"
    )
    for param in reserve_mem_params(ctx.cmdline):
        spec = read_reserve_mem(param, param.value)
        if kernel.dialect == RFC and spec.error is None and spec.size is not None:
            align = spec.align.value if spec.align is not None else 4096
            fix = (
                f"This kernel carries the RFC wildcard: use memmap="
                f"{param.value[: spec.size.end] if param.value else ''}*{align or 4096}:{spec.name}."
            )
        else:
            fix = (
                "Boot Linux 6.11 or later, or reserve a fixed range with memmap=<size>$<address> "
                "and give its address to the consumer."
            )
        yield Hit(
            f"{release} has no reserve_mem= (it came in 6.11): the parameter is passed to init "
            f"as an environment variable and nothing is reserved. {fix}",
            param=param,
        )
