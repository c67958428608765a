"""memblock on x86-64 from ``e820__memblock_setup()`` to ``parse_args()``: what is taken before
``reserve_mem=`` runs (K6.12 arch/x86/kernel/setup.c ``setup_arch()``, init/main.c
``start_kernel()``).

Steps, in the kernel's order, with the size each takes:

1. ``early_reserve_memory()``: the kernel image ``[_text, __end_of_kernel_reserve)`` (brk
   included); with ``nokaslr`` it starts at ``CONFIG_PHYSICAL_START``, otherwise the
   decompressor's physical KASLR picks a 2 MiB slot in RAM above it. Then the setup_data nodes
   (``memblock_x86_reserve_range_setup_data()``).
2. ``e820__memblock_setup()``: usable RAM becomes ``memblock.memory``, page-trimmed.
3. ``setup_arch()``: ``memblock_reserve(0, SZ_1M)`` after ``reserve_real_mode()`` (the
   trampoline and the BIOS areas below 1 MiB); ``acpi_reserve_initial_tables()`` (the firmware's
   ACPI tables, when the facts name them: on real machines they lie in ACPI ranges, not RAM).
4. ``init_mem_mapping()``: ``memory_map_top_down()`` finds the highest free PMD block
   (``memblock_phys_alloc_range(PMD_SIZE, PMD_SIZE, ISA_END_ADDRESS, ...)``), frees it and maps down
   from its end, so the first page table (``alloc_low_pages()``) lands right below that end, once
   the brk buffer's pages are used up (RAM above 1 GiB). Then small top-down allocations: the other
   page tables, ``NODE_DATA`` (``alloc_node_data()``), the section usemaps; together well under 1
   MiB (``SMALL``). Then ``arch_reserve_crashkernel()`` for ``crashkernel=``
   (:mod:`memmap_lint.kernel.crashkernel`).
5. ``paging_init()`` -> ``sparse_init_nid()``: the struct page array, ``section_map_size()``
   (2 MiB: 64 bytes per 4 KiB page, PMD-aligned) per present 128 MiB section, in one
   ``memblock_alloc_exact_nid_raw(size, PMD_SIZE, __pa(MAX_DMA_ADDRESS), ...)`` (from 16 MiB);
   when that fails, one PMD block per section (``vmemmap_alloc_block()``).
6. ``start_kernel()`` -> ``setup_per_cpu_areas()`` -> ``pcpu_embed_first_chunk()``: the first
   per-CPU chunk, ``nr_units * unit_size`` aligned to PMD_SIZE from 16 MiB, where
   ``pcpu_build_alloc_info()`` packs ``upa`` units in a 2 MiB atom; each unit's unused tail is
   given back, so only the last unit's tail is free again.
7. ``parse_args("Booting kernel")``: ``reserve_mem()``.

Allocations are top-down (``__memblock_find_range_top_down()``) under ``memblock.current_limit``
(all mapped RAM after ``init_mem_mapping()``), never below ``PAGE_SIZE``. ``movable_node`` turns
bottom-up on, but ``numa_init()`` turns it off again after SRAT parsing (mm/numa_memblks.c
``numa_memblks_init(..., true)``), so ``reserve_mem`` always runs top-down.

What the facts of a host can say (:class:`Facts`) replaces the defaults, which are those of
Debian's 6.12.118 amd64 kernel booted under QEMU with ``memblock=debug``. What is never known
offline (an initrd the boot loader placed, EFI boot-services memory ``efi_reserve_boot_services()``
keeps until later, NUMA node boundaries) is not taken; :func:`plan` reports how much room a
placement has so the caller can say what would tip it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from memmap_lint.kernel.crashkernel import Crash, place
from memmap_lint.kernel.dialects.memblock import PAGE_SIZE, Memblock
from memmap_lint.kernel.e820 import U64
from memmap_lint.kernel.kaslr import LOAD_PHYSICAL_ADDR
from memmap_lint.kernel.release import Kernel

MIB = 1 << 20
#: Where the kernel image starts when physical KASLR does not move it.
IMAGE_START = LOAD_PHYSICAL_ADDR
#: [_text, __end_of_kernel_reserve) of Debian 6.12.118 amd64 (early_reserve_memory() reserved
#: [0x1000000-0x3c10fff] in the memblock=debug dump).
IMAGE_SIZE = 0x2C11000
#: PMD_SIZE: the memmap and per-CPU atoms.
PMD = 2 * MIB
#: include/linux/mmzone.h SECTION_SIZE_BITS 27 (x86-64).
SECTION = 128 * MIB
#: ALIGN(sizeof(struct page) * PAGES_PER_SECTION, PMD_SIZE): 64 * 32768.
SECTION_MAP = 2 * MIB
#: __pa(MAX_DMA_ADDRESS): sparse and per-CPU allocations start their search there.
DMA_LIMIT = 16 * MIB
#: Page tables, NODE_DATA, usemaps and the other small top-down allocations (measured: 267 KiB
#: on a 16 GiB map with one CPU; room for more nodes and CPUs).
SMALL = 512 << 10
#: "percpu: Embedded 66 pages/cpu" (Debian 6.12): static + reserved + dynamic size.
PERCPU_PAGES = 66
#: mm/percpu.c PCPU_MIN_UNIT_SIZE.
PCPU_MIN_UNIT = 32 << 10
#: The CPU count assumed when nothing says it (nr_cpu_ids), and the one that bounds it.
DEFAULT_CPUS = 8
MANY_CPUS = 256


@dataclass(frozen=True, slots=True)
class Learned:
    """Where a ``reserve_mem=`` region really landed, as ``verify`` saw it on ``host`` (facts
    collected at ``when``) running ``release``. ``requests`` are the ``(size, align)`` of that
    boot's ``reserve_mem=`` parameters up to this one, in command-line order: a boot of the same
    hardware profile and release making the same requests gets the same address, since
    ``memblock_phys_alloc()`` is deterministic on the same early-boot state."""

    requests: tuple[tuple[int, int], ...]
    start: int
    release: str
    host: str
    when: str


@dataclass(frozen=True, slots=True)
class Facts:
    """What the host says about its next boot; None means "not known": the default is used.

    ``image`` is ``(start, size)`` of the kernel image as reserved, ``cpus`` the possible CPUs
    (``nr_cpu_ids``), ``percpu_pages`` the per-CPU size of the kernel build, ``kaslr`` whether
    physical KASLR moves the image (None: decided by ``nokaslr`` on the command line).
    """

    image: tuple[int, int] | None = None
    cpus: int | None = None
    percpu_pages: int | None = None
    kaslr: bool | None = None
    #: ``(start, size)`` of the ACPI tables ``acpi_reserve_initial_tables()`` reserves (``ACPI:
    #: Reserving FACP table memory at [mem a-b]``): only tables that lie in RAM take memory.
    tables: tuple[tuple[int, int], ...] = ()
    #: The image's size when only that is known (the log's ``Memory:`` line, bounded above).
    image_size: int | None = None
    #: Where the image facts come from, or why the host's were set aside (said in notes).
    image_note: str = ""
    #: Addresses ``verify`` saw for this profile and the next boot's release.
    learned: tuple[Learned, ...] = ()

    def learned_at(self, requests: tuple[tuple[int, int], ...]) -> Learned | None:
        """The learned address of the last of ``requests``, if a boot made exactly these."""
        return next((x for x in self.learned if x.requests == requests), None)

    def for_boot(self, kaslr: bool) -> Facts:
        """These facts for a boot with or without physical KASLR: the decompressor picks the
        image's place again at every boot (arch/x86/boot/compressed/kaslr.c
        ``choose_random_location()``), so a running kernel's place says only its size then."""
        if not kaslr or self.image is None or self.kaslr is False:
            return self
        return replace(self, image=None, image_size=self.image[1])

    def image_extent(self) -> int:
        """The image's size: the host's if it says, else Debian 6.12.118's (:data:`IMAGE_SIZE`)."""
        return self.image[1] if self.image else self.image_size or IMAGE_SIZE


def percpu_chunk(cpus: int, pages: int = PERCPU_PAGES) -> tuple[int, int]:
    """``(allocation size, bytes kept)`` of ``pcpu_embed_first_chunk()`` for ``cpus`` CPUs in one
    group (mm/percpu.c ``pcpu_build_alloc_info()``, atom PMD_SIZE as x86-64's
    ``setup_per_cpu_areas()`` passes it)."""
    size_sum = pages * PAGE_SIZE
    min_unit = max(size_sum, PCPU_MIN_UNIT)
    alloc = -(-min_unit // PMD) * PMD

    def shape(upa: int) -> bool:
        return alloc % upa == 0 and (alloc // upa) % PAGE_SIZE == 0

    upa = alloc // min_unit
    while not shape(upa):
        upa -= 1
    best, last = 0, None
    for n in range(upa, 0, -1):
        if not shape(n):
            continue
        allocs = -(-cpus // n)
        if allocs * n - cpus > cpus // 3:
            continue
        if last is not None and allocs > last:
            break
        last, best = allocs, n
    unit = alloc // best
    units = -(-cpus // best) * best
    return units * unit, units * unit - (unit - size_sum)


def present_sections(free: list[tuple[int, int]]) -> int:
    """Memory sections (128 MiB) that hold any of ``memblock.memory``."""
    count, last = 0, -1
    for start, end in sorted(free):
        first, final = max(start // SECTION, last + 1), (end - 1) // SECTION
        if final >= first:
            count += final - first + 1
            last = final
    return count


@dataclass(frozen=True, slots=True)
class Step:
    """One early reservation: what, where (None: it failed), how much."""

    what: str
    start: int | None
    size: int


def plan(
    memory: list[tuple[int, int]],
    setup_data: tuple[tuple[int, int], ...] = (),
    facts: Facts = Facts(),
    image_start: int | None = IMAGE_START,
    cpus: int | None = None,
    crash: tuple[Crash, Kernel] | None = None,
) -> tuple[Memblock, list[Step]]:
    """memblock as ``reserve_mem()`` finds it, and the steps that made it (module docstring).

    ``image_start`` None leaves the image out (KASLR: its place is not known); ``cpus`` overrides
    ``facts.cpus`` (the bound the caller tries); ``crash`` is the ``crashkernel=`` request and
    the kernel that reads it.
    """
    mb = Memblock(list(memory))
    steps: list[Step] = []

    def reserve(what: str, start: int, size: int) -> None:
        mb.reserve(start, size)
        steps.append(Step(what, start, size))

    image = facts.image
    if image is None and image_start is not None:
        image = (image_start, facts.image_extent())
    if image is not None:
        reserve("kernel image (early_reserve_memory)", image[0], image[1])
    for start, size in setup_data:
        reserve("setup_data (memblock_x86_reserve_range_setup_data)", start, size)
    reserve("first 1 MiB (setup_arch, after reserve_real_mode)", 0, MIB)
    for start, size in facts.tables:
        reserve("ACPI table (acpi_reserve_initial_tables)", start, size)

    def alloc(what: str, size: int, align: int, lo: int = 0, hi: int = U64) -> int | None:
        at = mb.alloc(size, align, lo, hi)
        steps.append(Step(what, at, size))
        return at

    # Up to 1 GiB of RAM the page tables come from the brk buffer (early_alloc_pgt_buf(),
    # INIT_PGT_BUF_SIZE): no memblock page (measured on 6.12 under QEMU, maps of 60 MiB-1 GiB).
    probe = mb.alloc(PMD, PMD, MIB) if memory and memory[-1][1] > 1 << 30 else None
    if probe is not None:
        mb.release(probe, PMD)
        alloc("first page table (init_mem_mapping)", PAGE_SIZE, PAGE_SIZE, MIB, probe + PMD)
    alloc("page tables, NODE_DATA, usemaps (small allocations)", SMALL, PAGE_SIZE)
    if crash is not None:
        request, kernel = crash
        steps.append(
            Step(
                "crash kernel (arch_reserve_crashkernel)", place(mb, request, kernel), request.size
            )
        )
    sections = present_sections(memory)
    if alloc("struct pages (sparse_init_nid)", sections * SECTION_MAP, PMD, DMA_LIMIT) is None:
        for _ in range(sections):
            alloc("struct pages, one section (vmemmap_alloc_block)", SECTION_MAP, PMD, DMA_LIMIT)
    n = cpus or facts.cpus or DEFAULT_CPUS
    size, kept = percpu_chunk(n, facts.percpu_pages or PERCPU_PAGES)
    at = alloc(f"per-CPU first chunk, {n} CPUs (pcpu_embed_first_chunk)", size, PMD, DMA_LIMIT)
    if at is not None and kept < size:
        mb.release(at + kept, size - kept)
    return mb, steps
