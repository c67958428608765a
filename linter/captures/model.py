"""The parsed form of an e820 capture, shared by every capture format parser."""

from __future__ import annotations

from dataclasses import dataclass, replace

from memmap_lint.errors import LintError
from memmap_lint.kernel.e820 import U32, U64, Entry, parse_type_name
from memmap_lint.kernel.earlyboot import Facts, Learned

#: The code of every capture error (the rule catalog: MM602 no-e820-capture).
CODE = "MM602"

#: ``/sys/firmware/memmap`` and ``/proc/iomem`` print every type the kernel does not know as
#: "Unknown E820 type" (``e820_type_to_string``), so the number is lost. It is read as type 20,
#: the unknown type real firmware reports most (45 lines in the capture corpus, on 25 machines);
#: ``e820__update_table`` orders it like every other unknown type between 13 and 127 (above
#: PRAM 12, below RESERVED_KERN 128), so overlaps with ``memmap=`` regions resolve the same.
UNKNOWN_TYPE = 20


@dataclass(frozen=True)
class Capture:
    """One boot's firmware e820 map and what the same log says about that boot."""

    #: The firmware map (BIOS-e820 / sysfs / iomem / list), in the order given.
    entries: tuple[Entry, ...]
    #: ``(start, size)`` of each setup_data node (``e820: update ... usable ==> usable``), in order.
    setup_data: tuple[tuple[int, int], ...]
    #: The boot's command line if the log has it.
    cmdline: str | None
    #: The kernel's ``user-defined physical RAM map`` (``user:`` lines), if present.
    user_map: tuple[Entry, ...] | None
    #: The text after ``Kernel panic - not syncing: `` if present.
    panic: str | None
    #: "dmesg", "dmesg-old", "dmesg-7.0", "sysfs", "sysfs-grep", "iomem", "yaml" or "json".
    format: str
    #: The path the capture came from, or "<inline>".
    source: str
    #: 1-based line number of each entry in ``entries`` (0 when not from a text line).
    lines: tuple[int, ...]
    #: Ranges the running kernel's command line made (``(start, size, type, line)``), found in a
    #: capture of the running map (``/proc/iomem``) and given back to the firmware's type.
    running_edits: tuple[tuple[int, int, int, int], ...] = ()
    #: Possible CPUs of that boot (``setup_percpu: ... nr_cpu_ids:N``, else ``Allowing N present
    #: CPUs plus M hotplug CPUs``): the per-CPU areas early boot takes before reserve_mem=.
    cpus: int | None = None
    #: ``(start, size)`` of the running kernel's image (``/proc/iomem`` ``Kernel`` lines).
    image: tuple[int, int] | None = None
    #: Its size bounded from the log's ``Memory:`` line when its place is not known.
    image_size: int | None = None
    #: The release that printed the capture (``Linux version``, or the collector's ``uname -r``).
    release: str | None = None
    #: Where ``verify`` saw reserve_mem regions land on this profile (each with its release).
    learned: tuple[Learned, ...] = ()

    def boot_facts(self, next_release: str | None = None) -> Facts:
        """What this boot says about the next one's early-boot allocations (reserve_mem's model).

        The CPUs are the machine's; the image is the running kernel's, so it is used only when
        ``next_release`` is that release or not known, else the defaults are, and said so.
        """
        learned = tuple(x for x in self.learned if next_release and x.release == next_release)
        return replace(self._running_facts(next_release), learned=learned)

    def _running_facts(self, next_release: str | None) -> Facts:
        if self.image is None and self.image_size is None:
            return Facts(cpus=self.cpus)
        ran = self.release or "the running kernel"
        if next_release and self.release and next_release != self.release:
            return Facts(
                cpus=self.cpus,
                image_note=f"the image of {ran} in {self.source} is not the next kernel "
                f"{next_release}'s: Debian 6.12's assumed",
            )
        if self.image is not None:
            return Facts(cpus=self.cpus, image=self.image, image_note=f"{ran}'s, /proc/iomem")
        return Facts(
            cpus=self.cpus,
            image_size=self.image_size,
            image_note=f"{ran}'s 'Memory:' line plus up to 6 MiB of section padding",
        )

    @classmethod
    def map_only(
        cls,
        entries: list[Entry],
        fmt: str,
        source: str,
        lines: list[int] | None = None,
        cmdline: str | None = None,
    ) -> Capture:
        """A capture that holds a map and nothing else of its boot (sysfs, iomem, lists)."""
        return cls(
            entries=tuple(entries),
            setup_data=(),
            cmdline=cmdline,
            user_map=None,
            panic=None,
            format=fmt,
            source=source,
            lines=tuple(lines) if lines is not None else (0,) * len(entries),
        )


def capture_error(
    message: str, source: str, line: int | None = None, column: int | None = None
) -> LintError:
    """An MM602 error located in ``source``."""
    return LintError(CODE, message, source, line, column)


def no_map_error(source: str) -> LintError:
    """The error for input that holds no e820 map at all."""
    return capture_error(f"no e820 map found in {source}", source)


def entry_from_inclusive(start: int, last: int, etype: int) -> Entry:
    """The entry the kernel printed as ``[start, last]``: size = last - start + 1 (mod 2**64).

    ``e820__print_table`` prints ``addr + size - 1`` in u64 arithmetic, so this is its exact
    inverse, wrapping entries (and size 0, printed as ``start - 1``) included.
    """
    return Entry(start, (last - start + 1) & U64, etype & U32)


def entry_from_exclusive(start: int, end: int, etype: int) -> Entry:
    """The entry old kernels printed as ``start - end`` (``addr + size``, u64)."""
    return Entry(start, (end - start) & U64, etype & U32)


def type_from_resource_name(name: str) -> int | None:
    """The type behind an ``e820_type_to_string`` name (sysfs memmap, /proc/iomem)."""
    if " ".join(name.split()).lower() == "unknown e820 type":
        return UNKNOWN_TYPE
    return parse_type_name(name)
