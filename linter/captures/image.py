"""The running kernel's image extent and release, as a host prints them.

- ``/proc/iomem``: ``Kernel code`` starts at ``__pa_symbol(_text)`` and ``Kernel bss`` ends at
  ``__pa_symbol(__bss_stop) - 1`` (K6.12 arch/x86/kernel/setup.c ``setup_arch()``,
  ``code_resource``/``bss_resource``), which is exactly what ``early_reserve_memory()`` reserves
  (``[_text, __end_of_kernel_reserve)``; arch/x86/kernel/vmlinux.lds.S puts
  ``__end_of_kernel_reserve`` right after ``__bss_stop``). ``reserve_brk()`` then reserves the
  brk pages used, right after it (:data:`BRK`). Kernels without a ``Kernel bss`` line (2.6) end
  at their last ``Kernel ...`` line.
- The log's ``Memory: ...K/...K available (...K kernel code, ...K rwdata, ...K rodata, ...K init,
  ...K bss, ...)`` line (mm/mm_init.c ``mem_init_print_info()``): section sizes without the
  alignment padding between them, so their sum underestimates the extent (by 5289 KiB on
  Debian's 6.12.118: 39767 KiB summed, 45056 KiB in ``/proc/iomem``); :data:`PADDING` bounds it
  from above. The line says nothing of where the image is.
- ``Linux version R (...)`` (init/version-timestamp.c ``linux_banner``): which kernel said so.
"""

from __future__ import annotations

import re

#: brk pages ``reserve_brk()`` keeps after ``__bss_stop`` (68 KiB on Debian 6.12.118 under QEMU:
#: ``memblock_reserve: [0x3c00000-0x3c10fff] setup_arch``).
BRK = 0x11000
#: Upper bound of the padding the ``Memory:`` line leaves out: sections aligned to PMD_SIZE at
#: the text/rodata, rodata/data and init boundaries (vmlinux.lds.S ``X86_ALIGN_RODATA_BEGIN``,
#: ``X86_ALIGN_RODATA_END``), 5289 KiB measured on 6.12.118.
PADDING = 6 << 20

_IOMEM_KERNEL = re.compile(r"^[ \t]+([0-9a-fA-F]{1,16})-([0-9a-fA-F]{1,16}) : Kernel (\w+)")
_MEMORY = re.compile(
    r"(?<![\w-])Memory: \d{1,12}K/\d{1,12}K available \((\d{1,9})K kernel code, (\d{1,9})K rwdata, "
    r"(\d{1,9})K rodata, (\d{1,9})K init, (\d{1,9})K bss"
)
_BANNER = re.compile(r"(?<![\w-])Linux version (\S{1,64}) \(")


def iomem_image(text: str) -> tuple[int, int] | None:
    """``(start, size)`` the kernel image took in early boot, from ``/proc/iomem``'s ``Kernel``
    lines (brk included); None without them or when read without root (all zero)."""
    parts = [
        (int(m.group(1), 16), int(m.group(2), 16), m.group(3))
        for m in map(_IOMEM_KERNEL.match, text.split("\n"))
        if m is not None
    ]
    code = [start for start, _, name in parts if name == "code"]
    if not code or not code[0]:
        return None
    start = code[0]
    bss = [last for _, last, name in parts if name == "bss"]
    last = bss[0] if bss else max(last for _, last, _ in parts)
    if last < start:
        return None
    return start, last + 1 - start + BRK


def memory_line_image(text: str) -> int | None:
    """An upper bound of the image's size from the log's ``Memory:`` line (module docstring)."""
    match = _MEMORY.search(text)
    if match is None:
        return None
    return sum(int(g) for g in match.groups()) * 1024 + PADDING + BRK


def banner_release(text: str) -> str | None:
    """The release in the log's ``Linux version`` banner, if any."""
    match = _BANNER.search(text)
    return match.group(1) if match else None
