"""Boot Debian's kernel under QEMU into a small initramfs that prints the post-boot facts.

The initramfs holds Debian's static busybox, the ramoops module and the modules it depends on
(read from the ``depends=`` of each module's ``.modinfo``, decompressed from the package's
``.ko.xz``), and an ``/init`` that mounts proc, sysfs, devtmpfs, debugfs, tracefs and pstore,
loads the modules with the ``ramoops.*`` values of ``/proc/cmdline`` (what modprobe does for a
module: kmod's ``kmod_module_get_options`` reads them from the command line), and then runs the
collector's own script (``memmap_lint.collect.script.remote_script``), as root, so the serial
console carries exactly what ``memmap-lint collect`` reads over SSH.

``.ci/install-qemu.sh`` puts the kernels (with ``modules/``) and busybox in ``.cache/kernels``.
"""

from __future__ import annotations

import lzma
import os
import re
import selectors
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kernel_boot import kernels_dir, qemu
from memmap_lint.collect.facts import HostFacts
from memmap_lint.collect.script import END, MAGIC, parse_output, remote_script
from memmap_lint.engine.findings import Finding

#: What every boot's command line starts with; ``quiet`` keeps the serial console short (the
#: facts come from the kernel log buffer, not the console).
PREFIX = "console=ttyS0 panic=-1 nokaslr quiet"

#: Guest RAM of the post-boot tests.
MEMORY = "1G"

INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
dmesg -n 1
args=
for t in $(cat /proc/cmdline); do case $t in ramoops.*) args="$args ${t#ramoops.}";; esac; done
# test.modprobe_d: "options ramoops record_size=16384" in modprobe.d (kmod puts the options of its
# configuration before those of the command line)
case " $(cat /proc/cmdline) " in *" test.modprobe_d "*) args="record_size=16384 $args";; esac
for m in $(cat /modules.order); do
  if [ "$m" = ramoops ]; then insmod "/lib/modules/$m.ko" $args; else insmod "/lib/modules/$m.ko"; fi
done
case " $(cat /proc/cmdline) " in
  *" test.nopstore "*) ;;  # the boot of a system where nothing mounts pstore
  *) mount -t pstore pstore /sys/fs/pstore ;;
esac
case " $(cat /proc/cmdline) " in
  *" test.crash "*)  # crash once: ramoops keeps the log in RAM across QEMU's warm reset
    if [ -z "$(ls /sys/fs/pstore)" ]; then echo c > /proc/sysrq-trigger; fi ;;
esac
sh /facts.sh
poweroff -f
"""


def busybox() -> Path | None:
    """Debian's static busybox unpacked by ``.ci/install-qemu.sh``, or None."""
    path = kernels_dir() / "busybox-static" / "busybox"
    return path if path.is_file() else None


def _module_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return lzma.decompress(data) if path.suffix == ".xz" else data


def _depends(image: bytes) -> list[str]:
    m = re.search(rb"(?:^|\0)depends=([^\0]*)\0", image)
    return [d.decode() for d in m.group(1).split(b",") if d] if m else []


def modules_for(folder: Path, name: str) -> list[tuple[str, bytes]]:
    """``name`` and what it depends on, dependencies first, from ``folder`` (any depth)."""
    found: dict[str, Path] = {}
    for path in folder.rglob("*.ko*"):
        found[path.name.split(".ko")[0].replace("-", "_")] = path
    order: list[tuple[str, bytes]] = []

    def visit(mod: str) -> None:
        if any(n == mod for n, _ in order):
            return
        if mod not in found:
            raise FileNotFoundError(f"module {mod} is not in {folder}")
        image = _module_bytes(found[mod])
        for dep in _depends(image):
            visit(dep.replace("-", "_"))
        order.append((mod, image))

    visit(name)
    return order


def _cpio_entry(name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> bytes:
    encoded = name.encode() + b"\0"
    fields = (0, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0)
    head = b"070701" + b"".join(b"%08x" % f for f in fields) + encoded
    head += b"\0" * (-len(head) % 4)
    return head + data + b"\0" * (-len(data) % 4)


def initramfs(kernel_folder: Path, box: Path) -> bytes:
    """The uncompressed newc cpio archive booted by :func:`boot_postboot`."""
    mods = modules_for(kernel_folder / "modules", "ramoops")
    parts = [
        _cpio_entry(d, 0o040755)
        for d in ("bin", "dev", "proc", "sys", "lib", "lib/modules", "var", "tmp")
    ]
    parts.append(_cpio_entry("dev/console", 0o020600, rdev=(5, 1)))
    parts.append(_cpio_entry("bin/busybox", 0o100755, box.read_bytes()))
    parts.append(_cpio_entry("init", 0o100755, INIT.encode()))
    parts.append(_cpio_entry("facts.sh", 0o100644, remote_script(False).encode()))
    parts.append(
        _cpio_entry("modules.order", 0o100644, "".join(f"{n}\n" for n, _ in mods).encode())
    )
    parts += [_cpio_entry(f"lib/modules/{n}.ko", 0o100644, image) for n, image in mods]
    parts.append(_cpio_entry("TRAILER!!!", 0))
    return b"".join(parts)


@dataclass(frozen=True)
class PostBoot:
    """One boot: the command line, the serial console (without CRs) and the framed facts."""

    cmdline: str
    console: str
    facts: bytes | None
    seconds: float


def framed(console: str) -> bytes | None:
    """The collector's framed output inside a console log (None when it is not complete)."""
    lines = console.replace("\r", "").split("\n")
    try:
        first = lines.index(MAGIC)
        last = lines.index(END, first)
    except ValueError:
        return None
    return ("\n".join(lines[first : last + 1]) + "\n").encode()


def boot_postboot(
    kernel_name: str, params: str, tmp: Path, timeout: float = 240.0, memory: str = MEMORY
) -> PostBoot:
    """Boot ``kernel_name`` with ``PREFIX params`` into the facts initramfs."""
    binary, box = qemu(), busybox()
    folder = kernels_dir() / kernel_name
    if binary is None or box is None or not (folder / "modules").is_dir():
        raise FileNotFoundError(
            "QEMU, busybox or the kernel modules are missing (.ci/install-qemu.sh)"
        )
    image = tmp / "initramfs.cpio"
    image.write_bytes(initramfs(folder, box))
    cmdline = f"{PREFIX} {params}".strip()
    # test.crash: the panic reboots (panic=-1) and QEMU resets the machine keeping its RAM
    reboot = [] if "test.crash" in params.split() else ["-no-reboot"]
    argv = [
        binary, "-accel", "tcg", "-machine", "pc", "-m", memory, "-nodefaults",
        "-no-user-config", "-display", "none", "-serial", "stdio", *reboot,
        "-kernel", str(folder / "vmlinux"), "-initrd", str(image), "-append", cmdline,
    ]  # fmt: skip
    began = time.monotonic()
    out = b""
    with subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as proc:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while END.encode() not in out:
                left = began + timeout - time.monotonic()
                if left <= 0 or not sel.select(left):
                    break
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                out += chunk
        proc.kill()
        proc.wait()
    console = out.decode("utf-8", "replace").replace("\r", "")
    return PostBoot(cmdline, console, framed(console), time.monotonic() - began)


#: The boots of the post-boot tests (tests/fixtures/postboot/NAME.console are recordings of
#: these on Debian's 6.12 kernel, or the one KERNEL_OF names, 1 GiB guest): a good boot, then
#: one broken boot per failure.
SCENARIOS = {
    "good": "reserve_mem=12M:4096:oops reserve_mem=8M:4096:trace ramoops.mem_name=oops "
    "trace_instance=boot@trace",
    "typo": "reserve_mem=12M:4096:oops reserve_mem=8M:4096:trace ramoops.mem_name=opps "
    "trace_instance=boot@trace",
    "too-large": "reserve_mem=2G:4096:oops reserve_mem=8M:4096:trace ramoops.mem_name=oops "
    "trace_instance=boot@trace",
    "duplicate": "reserve_mem=12M:4096:oops reserve_mem=8M:4096:oops ramoops.mem_name=oops "
    "trace_instance=boot@oops",
    "trace-typo": "reserve_mem=12M:4096:oops reserve_mem=8M:4096:trace ramoops.mem_name=oops "
    "trace_instance=boot@trce",
    "no-pstore-mount": "reserve_mem=12M:4096:oops ramoops.mem_name=oops test.nopstore",
    "memmap-edit": "memmap=256M!512M",
    "crash": "reserve_mem=12M:4096:oops ramoops.mem_name=oops test.crash",
    "modprobe-options": "reserve_mem=12M:4096:oops ramoops.mem_name=oops test.modprobe_d",
    "stock-memmap": "memmap=12M$0x3d000000 ramoops.mem_address=0x3d000000 "
    "ramoops.mem_size=0xc00000",
}
#: The kernel of a scenario (default: Debian's 6.12, the mainline dialect).
KERNEL_OF = {"stock-memmap": "stock-6.1"}


def verify_findings(facts: Mapping[str, HostFacts], tmp: Path) -> dict[str, list[Finding]]:
    """``memmap-lint verify``'s findings (MM6xx and MM7xx) for hosts with these facts."""
    from memmap_lint.engine.config import Config
    from memmap_lint.engine.lint import Linter
    from memmap_lint.engine.pipeline import check
    from memmap_lint.engine.registry import load_rules, select
    from memmap_lint.engine.verify import verify_inputs
    from memmap_lint.inventory.load import load_inventory
    from memmap_lint.inventory.select import select_hosts

    inventory = tmp / "inventory.yaml"
    inventory.write_text(
        "all:\n  hosts:\n" + "".join(f"    {name}: {{}}\n" for name in facts), encoding="utf-8"
    )
    linter = Linter(select(load_rules([]), ["MM6", "MM7"], []), Config())
    hosts = select_hosts(load_inventory(str(inventory)), None)
    inputs, errors = verify_inputs(hosts, facts, linter.captures, {})
    assert not errors, errors
    return {r.host: list(r.findings) for r in check(linter, inputs)}


def console_facts(console: str) -> HostFacts:
    """The facts a recorded console holds, read by the collector's own parser."""
    raw = framed(console)
    if raw is None:
        raise ValueError("the console holds no complete facts")
    return parse_output(raw, "qemu:serial", "2026-12-02T20:16:00Z")


def host_tree(facts: HostFacts, root: Path) -> Path:
    """The files of a recorded host, laid out as tests/sshd_harness.py mounts them."""
    pb = facts.postboot
    assert pb is not None and pb.ramoops is not None and pb.klog is not None
    for e in facts.memmap:
        entry = root / "memmap" / str(e.index)
        entry.mkdir(parents=True)
        for name, value in (("start", f"{e.start:#x}"), ("end", f"{e.end:#x}"), ("type", e.type)):
            (entry / name).write_text(value + "\n")
    (root / "cmdline").write_text(facts.proc_cmdline + "\n")
    (root / "dmesg.txt").write_text(pb.klog)
    post = root / "postboot"
    params = post / "module" / "ramoops" / "parameters"
    params.mkdir(parents=True)
    for name, value in pb.ramoops.items():
        (params / name).write_text(value + "\n")
        (params / name).chmod(0o400)
    assert pb.iomem is not None
    (post / "iomem").write_text(pb.iomem)
    for name in pb.trace_instances or ():
        (post / "tracing" / "instances" / name).mkdir(parents=True)
    (post / "pstore").mkdir()
    return root
