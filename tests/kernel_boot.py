"""Boot a real Linux kernel under QEMU and read back its e820 table: the kernel as the judge.

The technique of the recorded answers (tests/fixtures/kernel-answers/README.md): QEMU with
software emulation boots the ELF ``vmlinux`` inside Debian's ``vmlinuz`` through its PVH entry
(no boot loader, no initrd), with a command line that starts ``earlyprintk=ttyS0 console=ttyS0
panic=-1 ignore_loglevel nokaslr`` and rebuilds a host's map with ``memmap=exactmap`` and one
``memmap=SIZE@START`` / ``$`` / ``#`` / ``!`` / ``%START+T`` item per entry. The kernel prints
QEMU's map (``BIOS-e820:``), then its own table after the command line (``user:`` lines after
``user-defined physical RAM map:``) or a panic; QEMU is stopped as soon as that is known.

``.ci/install-qemu.sh`` installs QEMU and unpacks the kernels into ``.cache/kernels/<name>/``
(``$MEMMAP_LINT_KERNELS`` overrides the folder). Any kernel with a PVH note can be dropped there
(e.g. ``rfc-6.1/vmlinux`` built from a patched tree) and booted with :func:`boot` the same way.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from memmap_lint.kernel.e820 import ACPI, PRAM, RAM, RESERVED, U32, U64, Entry, parse_type_name

REPO = Path(__file__).resolve().parent.parent

#: What the recorded answers' command lines start with (earlyprintk: the map is printed before
#: any console exists; panic=-1 with -no-reboot: QEMU exits on a panic).
PREFIX = "earlyprintk=ttyS0 console=ttyS0 panic=-1 ignore_loglevel nokaslr"

#: arch/x86/include/uapi/asm/setup.h: the kernel keeps at most 2047 bytes of its command line.
COMMAND_LINE_SIZE = 2048

#: Guest RAM: the recorded answers' QEMU table (usable up to 0xffdffff) is that of 256 MiB. The
#: amount does not change the answer: exactmap drops QEMU's map before the table is printed.
MEMORY = "256M"

_FORMS = {RAM: "@", RESERVED: "$", ACPI: "#", PRAM: "!"}
_SUFFIXES = (("E", 60), ("P", 50), ("T", 40), ("G", 30), ("M", 20), ("K", 10))
_MEM = re.compile(r"^(BIOS-e820|user): \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\] (.*?)\s*$")
_PANIC = re.compile(r"Kernel panic - not syncing: (.*?)\s*(?:\]---)?$")
_BUG = re.compile(r"(kernel BUG at \S+?)(?::\d+)?!")
_EARLY = re.compile(r"(PANIC: early exception .*)$")
_PRINTK = re.compile(r"^.*?\[\s*\d+\.\d+\] ")


@dataclass(frozen=True)
class Kernel:
    """A bootable kernel from the cache: ``name`` is its folder (``stock-6.1``...)."""

    name: str
    image: Path
    release: str


@dataclass(frozen=True)
class KernelAnswer:
    """What one boot printed.

    ``table`` is the user-defined map (None when none was printed), ``panic`` the message after
    ``Kernel panic - not syncing:`` (or ``kernel BUG at FILE`` / ``PANIC: early exception ...``
    for a BUG() this early), ``firmware`` QEMU's ``BIOS-e820`` table, ``cmdline`` the command
    line the kernel printed, ``log`` the serial output without carriage returns. A PVH boot has
    no setup_data, so nothing turns RAM into RESERVED_KERN before the table is printed.
    """

    cmdline: str | None
    firmware: tuple[Entry, ...]
    table: tuple[Entry, ...] | None
    panic: str | None
    log: str
    seconds: float
    timed_out: bool


def kernels_dir() -> Path:
    """Where ``.ci/install-qemu.sh`` unpacks the kernels."""
    env = os.environ.get("MEMMAP_LINT_KERNELS")
    return Path(env) if env else REPO / ".cache" / "kernels"


def find_kernel(name: str) -> Kernel | None:
    """The cached kernel ``name`` (``stock-6.1``, ``mainline-6.12``...), or None if absent."""
    folder = kernels_dir() / name
    image = folder / "vmlinux"
    if not image.is_file():
        return None
    release_file = folder / "release"
    release = release_file.read_text().split("\n", 1)[0] if release_file.is_file() else name
    return Kernel(name, image, release)


def qemu() -> str | None:
    """The qemu-system-x86_64 binary, or None when it is not installed."""
    return shutil.which("qemu-system-x86_64")


def format_size(value: int) -> str:
    """``value`` with the largest memparse suffix that divides it exactly (``0`` for zero)."""
    if value:
        for suffix, shift in _SUFFIXES:
            if value % (1 << shift) == 0:
                return f"{value >> shift}{suffix}"
    return str(value)


def rebuild_item(entry: Entry) -> str:
    """One ``memmap=`` item that makes ``parse_memmap_one()`` add ``entry`` as it is."""
    size, start = format_size(entry.size & U64), format_size(entry.start & U64)
    form = _FORMS.get(entry.type & U32)
    if form:
        return f"{size}{form}{start}"
    return f"{size}%{start}+{entry.type & U32}"


def exactmap_param(entries: Sequence[Entry]) -> str:
    """``memmap=exactmap,ITEM,...``: the kernel's table becomes ``entries`` (then sanitized)."""
    return ",".join(["memmap=exactmap", *(rebuild_item(e) for e in entries)])


def command_line(entries: Sequence[Entry], params: str = "") -> str:
    """The whole command line of a boot that rebuilds ``entries`` and then applies ``params``."""
    line = f"{PREFIX} {exactmap_param(entries)}"
    return f"{line} {params}" if params else line


def _entry(match: re.Match[str]) -> Entry:
    start, last = int(match.group(2), 16), int(match.group(3), 16)
    etype = parse_type_name(match.group(4))
    if etype is None:
        raise ValueError(f"unknown e820 type in kernel output: {match.group(0)!r}")
    return Entry(start, (last - start + 1) & U64, etype)


def parse_map(text: str, kind: str = "BIOS-e820") -> tuple[Entry, ...]:
    """The ``kind: [mem 0x..-0x..] type`` lines of a boot log (``BIOS-e820`` or ``user``)."""
    found = []
    for line in text.splitlines():
        m = _MEM.search(_PRINTK.sub("", line.replace("\r", "")))
        if m and m.group(1) == kind:
            found.append(_entry(m))
    return tuple(found)


class _Reader:
    """Reads the serial log line by line and says when the answer is complete."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cmdline: str | None = None
        self.firmware: list[Entry] = []
        self.table: list[Entry] | None = None
        self.panic: str | None = None
        self.done = False

    def feed(self, raw: str) -> None:
        line = raw.replace("\r", "")
        self.lines.append(line)
        if self.done:
            return
        text = _PRINTK.sub("", line)
        if self.table is not None and not text.startswith("user: "):
            self.done = True  # the first line after the user-defined map
            return
        if text.startswith("Command line: ") and self.cmdline is None:
            self.cmdline = text[len("Command line: ") :]
        elif text.startswith("user-defined physical RAM map:"):
            self.table = []
        elif (m := _MEM.search(text)) is not None:
            if m.group(1) == "BIOS-e820":
                self.firmware.append(_entry(m))
            elif self.table is not None:
                self.table.append(_entry(m))
        elif (m := _PANIC.search(text)) or (m := _BUG.search(text)) or (m := _EARLY.search(text)):
            self.panic = m.group(1)
            self.done = True
        elif text.startswith(("DMI:", "SMBIOS ")) and self.table is None:
            self.done = True  # past e820__finish_early_params(): no user-defined map


def boot_cmdline(
    image: Path, cmdline: str, timeout: float = 60.0, memory: str = MEMORY
) -> KernelAnswer:
    """Boot ``image`` with exactly ``cmdline`` and stop QEMU once its e820 answer is known."""
    if len(cmdline.encode()) >= COMMAND_LINE_SIZE:
        raise ValueError(
            f"command line of {len(cmdline.encode())} bytes: the kernel keeps only "
            f"{COMMAND_LINE_SIZE - 1}"
        )
    binary = qemu()
    if binary is None:
        raise FileNotFoundError("qemu-system-x86_64 is not installed (.ci/install-qemu.sh)")
    argv = [
        binary,
        "-accel",
        "tcg",
        "-machine",
        "pc",
        "-m",
        memory,
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-serial",
        "stdio",
        "-no-reboot",
        "-kernel",
        str(image),
        "-append",
        cmdline,
    ]
    reader = _Reader()
    began = time.monotonic()
    deadline = began + timeout
    timed_out = False
    with subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as proc:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        pending = b""
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while not reader.done:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                if not sel.select(left):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    break  # QEMU exited (panic=-1 with -no-reboot)
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    reader.feed(raw.decode("utf-8", "replace"))
                    if reader.done:
                        break
        if pending and not reader.done:
            reader.feed(pending.decode("utf-8", "replace"))
        proc.kill()
        proc.wait()
    return KernelAnswer(
        cmdline=reader.cmdline,
        firmware=tuple(reader.firmware),
        table=None if reader.table is None else tuple(reader.table),
        panic=reader.panic,
        log="\n".join(reader.lines),
        seconds=time.monotonic() - began,
        timed_out=timed_out,
    )


def boot(
    vmlinuz: Path,
    entries: Sequence[Entry],
    params: str = "",
    timeout: float = 60.0,
    memory: str = MEMORY,
) -> KernelAnswer:
    """Boot with ``entries`` rebuilt by exactmap, then ``params``; see :func:`command_line`."""
    return boot_cmdline(vmlinuz, command_line(entries, params), timeout, memory)


def boot_many(
    image: Path, cmdlines: Sequence[str], workers: int = 2, timeout: float = 60.0
) -> list[KernelAnswer]:
    """Boot each command line, ``workers`` QEMUs at a time (TCG keeps one core busy each)."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda c: boot_cmdline(image, c, timeout), cmdlines))


def guest_memory(entries: Sequence[Entry]) -> str:
    """QEMU ``-m`` for a ``pc`` guest whose RAM reaches the top of ``entries``' RAM (from 3.5 GiB
    up, QEMU puts 3 GiB below 4 GiB and the rest from 4 GiB: hw/i386/pc_piix.c)."""
    top = max(e.end for e in entries if e.type == RAM)
    mib = -(-top // (1 << 20))
    if mib <= 3 << 10:
        return f"{max(mib, 256)}M"
    return f"{max(mib - (1 << 10), 3584)}M"


def minimal_dtb() -> bytes:
    """An empty flattened device tree (version 17): with ``-dtb`` and a bzImage, QEMU's Linux
    loader hands it to the kernel as a SETUP_DTB setup_data node, so the boot has setup_data."""
    structure = (1).to_bytes(4, "big") + bytes(4) + (2).to_bytes(4, "big") + (9).to_bytes(4, "big")
    rsvmap = bytes(16)
    off_struct = 40 + len(rsvmap)
    header = [0xD00DFEED, off_struct + len(structure), off_struct, off_struct + len(structure)]
    header += [40, 17, 16, 0, 0, len(structure)]
    return b"".join(v.to_bytes(4, "big") for v in header) + rsvmap + structure


@dataclass(frozen=True)
class BootLog:
    """The serial output of a boot read until ``until`` said enough (or QEMU stopped)."""

    log: str
    seconds: float
    timed_out: bool


def boot_until(
    image: Path,
    cmdline: str,
    until: Callable[[str], bool],
    timeout: float = 120.0,
    memory: str = MEMORY,
    qemu_args: Sequence[str] = (),
) -> BootLog:
    """Boot ``image`` with ``cmdline`` and read its serial output until ``until(line)`` is true
    for a line (printk prefix kept). ``qemu_args`` are added to QEMU's (e.g. ``-dtb FILE``:
    with a bzImage, QEMU's Linux loader passes the blob as a SETUP_DTB setup_data node)."""
    binary = qemu()
    if binary is None:
        raise FileNotFoundError("qemu-system-x86_64 is not installed (.ci/install-qemu.sh)")
    # Guest RAM without reservation (MAP_NORESERVE): a rebuilt map's top-down allocations need
    # RAM as high as the map's, but the guest touches only what early boot writes.
    argv = [binary, "-accel", "tcg", "-machine", "pc,memory-backend=ram0", "-m", memory]
    argv += ["-object", f"memory-backend-ram,id=ram0,size={memory},reserve=off", "-nodefaults"]
    argv += ["-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot"]
    argv += [*qemu_args, "-kernel", str(image), "-append", cmdline]
    lines: list[str] = []
    began = time.monotonic()
    deadline = began + timeout
    timed_out = done = False
    with subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as proc:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        pending = b""
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while not done:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                if not sel.select(left):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    lines.append(raw.decode("utf-8", "replace").replace("\r", ""))
                    if until(lines[-1]):
                        done = True
                        break
        proc.kill()
        proc.wait()
    return BootLog("\n".join(lines), time.monotonic() - began, timed_out)
