"""An alignment of 0, not a power of two, or below a page.

What it finds:
    The alignment of the RFC wildcard ``memmap=nn*align:name`` and of
    ``reserve_mem=size:align:name`` when it is 0, not a power of two, or below 4 KiB (for
    ``reserve_mem`` anything below 64 becomes 64, so the region is only guaranteed 64-byte
    alignment).

    Ownership: an alignment misread by a pitfall (``08K``, ``4KB``) is MM102's.

Why it matters:
    The RFC computes ``ALIGN_DOWN(end - size, align)``, i.e. ``x & ~(align - 1)``: align 0 makes
    the mask 0, so every candidate is address 0 and the region lands at physical 0 when the first
    RAM entry starts there; ``[0, nn)`` becomes reserved and, with nn >= 1 MiB, no memory below
    1 MiB is left for the real-mode trampoline (a panic is expected on non-EFI boots; not
    confirmed by a test). A non-power-of-two alignment clears arbitrary bits: the address is not a
    multiple of it. ``reserve_mem()`` raises anything below ``SMP_CACHE_BYTES`` (64) to 64 and
    ``memblock`` rounds down with the same mask, so the same holds. Below 4 KiB the region may
    start in the middle of a page; ramoops copes, but a boot-mapped trace buffer maps whole pages.
    (Reference sections 4.2, 5.1, 5.2, 7.2.)

Example:
    ``memmap=12M*:oops`` or ``memmap=12M*0:oops`` (RFC), ``reserve_mem=12M:3000:oops``.

How to fix:
    Use a power of two of at least 4096: ``memmap=12M*4096:oops``, ``reserve_mem=12M:4096:oops``.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.cmdline import Param
from memmap_lint.kernel.misread import pitfall, reserve_mem_pitfalls
from memmap_lint.kernel.params import SMP_CACHE_BYTES, read_reserve_mem
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._cmdline_common import owned_pieces

CODE = "MM104"
NAME = "bad-alignment"
SEVERITY = "warning"
NEEDS_E820 = False

PAGE = 4096


def _power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def check(ctx: HostContext) -> Iterator[Hit]:
    for param in ctx.cmdline.params:
        if param.key == "memmap" and param.value is not None:
            for _, item in owned_pieces(ctx, param):
                if item.form != "*" or item.align is None:
                    continue
                if pitfall(item.text, item.align, "the alignment") is not None:
                    continue
                hit = _wildcard(param, item.text, item.offset, item.align.value)
                if hit is not None:
                    yield Hit(
                        hit.message,
                        param=param,
                        offset=item.offset + item.align.start,
                        text=f"memmap={item.text}",
                        severity=hit.severity,
                    )
        elif param.key == "reserve_mem" and param.value is not None and ctx.kernel.has_reserve_mem:
            hit = _reserve_mem(param, param.value)
            if hit is not None:
                yield hit


def _wildcard(param: Param, text: str, offset: int, align: int) -> Hit | None:
    shown = f"memmap={text}"
    if align == 0:
        return Hit(
            f"{shown}: alignment 0 makes ALIGN_DOWN's mask 0, so the RFC's every candidate start "
            "is address 0: the region is placed at physical 0 when the first RAM entry starts "
            "there, and with 1 MiB or more nothing below 1 MiB is left for the real-mode "
            "trampoline (a boot failure is expected on non-EFI boots; not confirmed by a test). "
            "Use an alignment such as 4096.",
            severity="error",
        )
    if not _power_of_two(align):
        return Hit(
            f"{shown}: alignment {align} is not a power of two; ALIGN_DOWN clears the bits of "
            f"{align - 1:#x}, so the address is not a multiple of {align}. Use a power of two "
            "(4096, 2M...).",
        )
    if align < PAGE:
        return Hit(
            f"{shown}: alignment {human(align)} is below a page: the region may start in the "
            "middle of a 4 KiB page. Use 4096 or more.",
            severity="info",
        )
    return None


def _reserve_mem(param: Param, value: str) -> Hit | None:
    spec = read_reserve_mem(param, value)
    if spec.align is None or spec.size is None or not spec.size.value:
        return None
    if spec.fault in ("size-colon", "align-colon"):
        return None  # MM101
    if reserve_mem_pitfalls(spec, value):
        return None  # MM102
    align = spec.align.value
    at = param.value_offset + spec.align.start
    if not _power_of_two(align):
        extra = (
            f" (below {SMP_CACHE_BYTES} it becomes {SMP_CACHE_BYTES})"
            if align < SMP_CACHE_BYTES
            else ""
        )
        if align == 0:
            return Hit(
                f"{param.raw}: alignment 0 is raised to {SMP_CACHE_BYTES} (SMP_CACHE_BYTES): the "
                "region is only guaranteed 64-byte alignment and may start in the middle of a "
                "page. Write the alignment you need, e.g. 4096.",
                param=param,
                offset=at,
            )
        return Hit(
            f"{param.raw}: alignment {align} is not a power of two{extra}; memblock rounds down "
            f"with the mask ~({align} - 1), so the address is not a multiple of {align}. Use a "
            "power of two (4096, 2M...).",
            param=param,
            offset=at,
        )
    if align < PAGE:
        effective = max(align, SMP_CACHE_BYTES)
        used = f" (used as {human(effective)})" if effective != align else ""
        return Hit(
            f"{param.raw}: alignment {human(align)}{used} is below a page: "
            "the region may start in the middle of a 4 KiB page, which a boot-mapped trace "
            "buffer cannot use. Use 4096 or more.",
            param=param,
            offset=at,
            severity="info",
        )
    return None
