"""Where ``reserve_mem()`` regions land, and how sure that is (mm/memblock.c ``reserve_mem()``,
``memblock_phys_alloc()``, K6.12).

The nominal answer allocates from memblock as :func:`earlyboot.plan` leaves it for the host's
facts (defaults where they say nothing). Each unknown is then pushed to its bound in a copy of
that state, and the same allocations are replayed there:

- the CPU count (when not known) at :data:`earlyboot.MANY_CPUS` possible CPUs;
- with physical KASLR (no ``nokaslr``, the image's place not known), the kernel image in the
  middle of the largest free range (the decompressor picks any 2 MiB slot of RAM above 16 MiB:
  arch/x86/boot/compressed/kaslr.c ``find_random_phys_addr()``);
- ``headroom`` bytes more taken from the top of every free range for what is never known
  offline: an initrd the boot loader placed, EFI boot-services memory, ``cma=``, the model's own
  error.

A region placed nominally but refused under a bound carries ``risk``: the room it had and what
would tip it. Advice uses only sizes without risk.
"""

from __future__ import annotations

from dataclasses import dataclass

from memmap_lint.kernel.crashkernel import Crash
from memmap_lint.kernel.dialects.memblock import PAGE_SIZE, Memblock
from memmap_lint.kernel.earlyboot import (
    DEFAULT_CPUS,
    MANY_CPUS,
    PMD,
    Facts,
    percpu_chunk,
    plan,
)
from memmap_lint.kernel.release import Kernel
from memmap_lint.kernel.sizes import human


@dataclass(frozen=True, slots=True)
class Placement:
    """One allocation: ``start`` (None: -ENOMEM), the room left beside it, what would tip it."""

    start: int | None
    margin: int | None = None
    risk: str = ""


def _room(mb: Memblock) -> int:
    """The largest request memblock could still satisfy (alignment aside)."""
    return max((t - max(s, PAGE_SIZE) for s, t in mb.free), default=0)


class Placer:
    """The nominal memblock state and one copy per unknown at its bound (module docstring)."""

    def __init__(
        self,
        memory: list[tuple[int, int]],
        setup_data: tuple[tuple[int, int], ...],
        facts: Facts,
        kaslr: bool,
        headroom: int,
        crash: tuple[Crash, Kernel] | None = None,
    ) -> None:
        kaslr = facts.kaslr if facts.kaslr is not None else kaslr
        facts = facts.for_boot(kaslr)
        self.facts = facts
        image = facts.image_extent()
        self.nominal, self.steps = plan(memory, setup_data, facts, crash=crash)
        self.largest = self.nominal.largest()
        cpus = f"{facts.cpus} CPU(s)" if facts.cpus else f"{DEFAULT_CPUS} CPUs assumed"
        where = "at 16 MiB" if not kaslr or facts.image else "placed by KASLR, assumed at 16 MiB"
        note = f" ({facts.image_note})" if facts.image_note else ""
        self.assumed = f"{cpus}, a {human(image)} kernel image{note} {where}, no initrd"
        if crash is not None:
            self.assumed += f", {crash[0].text}"
        self.bounds: list[tuple[str, Memblock]] = []
        if not facts.cpus:
            many, _ = plan(memory, setup_data, facts, cpus=MANY_CPUS, crash=crash)
            extra = percpu_chunk(MANY_CPUS)[0] - percpu_chunk(DEFAULT_CPUS)[0]
            self.bounds.append(
                (f"{MANY_CPUS} possible CPUs (+{human(extra)} of per-CPU areas)", many)
            )
        if kaslr and not facts.image:
            moved, _ = plan(memory, setup_data, facts, image_start=None, crash=crash)
            big = moved.largest()
            if big is not None:
                middle = (big[0] + big[1] // 2 - image // 2) // PMD * PMD
                moved.reserve(max(middle, big[0]), image)
            self.bounds.append(
                (
                    f"physical KASLR putting the {human(image)} kernel image inside that range "
                    "(nokaslr keeps it at 16 MiB)",
                    moved,
                )
            )
        # Where those land is not known either (GRUB puts an initrd high below 2 GiB, the EFI
        # firmware anywhere): every free range loses ``headroom`` at its top.
        other = Memblock(
            [(lo, hi - headroom) for lo, hi in self.nominal.free if hi - headroom > lo]
        )
        self.bounds.append(
            (
                f"{human(headroom)} more taken from that range first (an initrd, EFI "
                "boot-services memory, cma=)",
                other,
            )
        )

    def story(self) -> str:
        """What early boot took before reserve_mem runs, in the kernel's order, one phrase each."""
        parts = []
        for step in self.steps:
            where = "failed" if step.start is None else f"~{step.start:#x}"
            parts.append(f"{step.what} {human(step.size)} at {where}")
        free = self.largest
        left = f"; largest free range ~{human(free[1])} at ~{free[0]:#x}" if free else ""
        said = f" (kernel image: {self.facts.image_note})" if self.facts.image_note else ""
        return "before reserve_mem=, memblock gave out: " + "; ".join(parts) + left + said

    def alloc(self, size: int, align: int) -> Placement:
        """``memblock_phys_alloc(size, align)`` in every state; the nominal answer with its risk."""
        room = _room(self.nominal)
        start = self.nominal.alloc(size, align)
        tips = [what for what, mb in self.bounds if mb.alloc(size, align) is None]
        if start is None:
            return Placement(None)
        margin = room - size
        if not tips:
            return Placement(start, margin)
        risk = (
            f"the kernel may refuse it (-ENOMEM, silent): about {human(margin)} is left beside "
            f"it with {self.assumed}, and " + " or ".join(tips) + " would tip it"
        )
        return Placement(start, margin, risk)
