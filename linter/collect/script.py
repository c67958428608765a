"""The one remote command and the strict parser of what it prints.

The remote side runs ``sh -s`` (``REMOTE_COMMAND``) and reads one of two fixed scripts on stdin
(``remote_script(sudo)``): nothing from an inventory ever becomes part of either. The script only
reads files and runs ``uname``/``dmesg``/``journalctl``; it prints framed sections::

    memmap-lint-facts 1
    F <key>          data follows, base64, up to a line "."
    M <key>          missing        D <key>   present but unreadable
    W skipped-name   a boot file whose name has unusual characters was not read
    memmap-lint-facts end

``parse_output`` accepts exactly that and raises ``GarbageOutput`` for anything else.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass

from memmap_lint.collect.facts import E820Source, FirmwareEntry, HostFacts
from memmap_lint.collect.nextkernel import next_kernel
from memmap_lint.collect.postboot import POSTBOOT_KEYS, postboot_facts

REMOTE_COMMAND = "sh -s"

MAGIC = "memmap-lint-facts 1"
END = "memmap-lint-facts end"

#: Boot files read, in this order; globs are expanded on the host.
BOOT_FILE_PATTERNS = (
    "/etc/default/grub",
    "/etc/default/grub.d/*.cfg",
    "/boot/grub/grub.cfg",
    "/boot/grub2/grub.cfg",
    "/boot/grub/grubenv",
    "/boot/grub2/grubenv",
    "/boot/loader/entries/*.conf",
    "/boot/efi/loader/entries/*.conf",
    "/efi/loader/entries/*.conf",
    "/etc/kernel/cmdline",
)

_SCRIPT_BODY = r"""
LC_ALL=C; export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH
echo 'memmap-lint-facts 1'
out() { echo "F $1"; base64; echo .; }
f() {
  if [ ! -e "$1" ]; then echo "M $1"
  elif [ -f "$1" ] && [ -r "$1" ]; then echo "F $1"; base64 < "$1" 2>/dev/null; echo .
  else echo "D $1"; fi
}
okname() { case $1 in *[!A-Za-z0-9._/+@:,=-]*) return 1;; esac; return 0; }
uname -r | out uname-r
uname -m | out uname-m
f /proc/cmdline
f /sys/class/dmi/id/product_name
f /sys/class/dmi/id/bios_version
f /sys/devices/system/cpu/possible
MM='for d in /sys/firmware/memmap/*; do i=${d##*/}; case $i in ""|*[!0-9]*) continue;; esac; { read -r s < "$d/start" && read -r e < "$d/end" && read -r t < "$d/type"; } 2>/dev/null || exit 1; printf "%s %s %s %s\n" "$i" "$s" "$e" "$t"; done'
klog=0
if [ ! -d /sys/firmware/memmap ]; then echo "M memmap"; klog=1
elif mm=$( (eval "$MM") ); then
  if [ -n "$mm" ]; then printf '%s\n' "$mm" | out memmap; else echo "M memmap"; klog=1; fi
elif [ "$MMLINT_SUDO" = 1 ] && mm=$(sudo -n sh -c "$MM" 2>/dev/null) && [ -n "$mm" ]; then
  printf '%s\n' "$mm" | out memmap; echo sudo | out memmap-via
else echo "D memmap"; klog=1; fi
if [ "$klog" = 1 ]; then
  src=
  if k=$(dmesg 2>/dev/null) && [ -n "$k" ]; then src=dmesg
  elif [ "$MMLINT_SUDO" = 1 ] && k=$(sudo -n dmesg 2>/dev/null) && [ -n "$k" ]; then src=dmesg
  elif k=$(journalctl -k -b --no-pager -q 2>/dev/null) && [ -n "$k" ]; then src=journal
  elif [ "$MMLINT_SUDO" = 1 ] && k=$(sudo -n journalctl -k -b --no-pager -q 2>/dev/null) && [ -n "$k" ]; then src=journal
  fi
  if [ -n "$src" ]; then
    printf '%s\n' "$k" | grep -E 'e820|Command line|command line' | out klog
    echo "$src" | out klog-source
  else echo "D klog"; fi
fi
for p in /etc/default/grub /etc/default/grub.d/*.cfg /boot/grub/grub.cfg /boot/grub2/grub.cfg \
    /boot/grub/grubenv /boot/grub2/grubenv /boot/loader/entries/*.conf \
    /boot/efi/loader/entries/*.conf /efi/loader/entries/*.conf /etc/kernel/cmdline; do
  case $p in *'*'*) continue;; esac
  if okname "$p"; then f "$p"; else echo "W skipped-name"; fi
done
PB='
out() { echo "F $1"; base64; echo .; }
f() {
  if [ ! -e "$1" ]; then echo "M $1"
  elif [ -f "$1" ] && [ -r "$1" ]; then echo "F $1"; base64 < "$1" 2>/dev/null; echo .
  else echo "D $1"; fi
}
okname() { case $1 in *[!A-Za-z0-9._+@:,=-]*) return 1;; esac; return 0; }
ls1() {
  if [ ! -d "$1" ] && [ "$root" = 1 ]; then echo "M $2"; return; fi
  if [ ! -r "$1" ] || [ ! -x "$1" ]; then echo "D $2"; return; fi
  for n in "$1"/*; do [ -e "$n" ] || continue; n=${n##*/}; if okname "$n"; then echo "$n"; else echo "?"; fi; done | out "$2"
}
root=0; [ "$(id -u)" = 0 ] && root=1
if [ "$root" = 1 ]; then f /proc/iomem; else echo "D /proc/iomem"; fi
P=/sys/module/ramoops/parameters
if [ ! -d "$P" ]; then echo "M ramoops-params"
elif [ "$root" = 1 ]; then
  for n in "$P"/*; do [ -f "$n" ] || continue; v=; read -r v < "$n"; printf "%s %s\n" "${n##*/}" "$v"; done | out ramoops-params
else echo "D ramoops-params"; fi
if [ "$root" != 1 ] || ! grep -q " /sys/kernel/debug debugfs " /proc/mounts; then echo "D /sys/kernel/debug/memblock/reserve_mem_param"
else f /sys/kernel/debug/memblock/reserve_mem_param; fi
T=/sys/kernel/tracing; [ -d $T/instances ] || T=/sys/kernel/debug/tracing
ls1 $T/instances trace-instances
ls1 /sys/fs/pstore pstore
ls1 /var/lib/systemd/pstore pstore-archive
if grep -q " /sys/fs/pstore pstore " /proc/mounts; then echo yes; else echo no; fi | out pstore-mounted
if k=$(dmesg 2>/dev/null) && [ -n "$k" ]; then
  printf "%s\n" "$k" | grep -E "ramoops|pstore|reserve_mem|[Tt]racing|boot instance|e820|user-defined|user: |Command line|command line|ecc:" | out klog-postboot
else echo "D klog-postboot"; fi
'
if [ "$(id -u)" != 0 ] && [ "$MMLINT_SUDO" = 1 ] && pb=$(sudo -n sh -c "$PB" 2>/dev/null) && [ -n "$pb" ]; then
  printf '%s\n' "$pb"; echo sudo | out postboot-via
else sh -c "$PB"; fi
for p in /boot/vmlinuz-*; do
  [ -e "$p" ] || continue
  v=${p#/boot/vmlinuz-}
  if okname "$v"; then echo "$v"; fi
done | out boot-kernels
echo 'memmap-lint-facts end'
"""

_SCRIPTS = {
    False: "MMLINT_SUDO=0\n" + _SCRIPT_BODY,
    True: "MMLINT_SUDO=1\n" + _SCRIPT_BODY,
}


def remote_script(sudo: bool) -> str:
    """The script sent on stdin: one of two constants, chosen only by ``sudo``."""
    return _SCRIPTS[bool(sudo)]


class GarbageOutput(Exception):
    """The remote output is not what the script prints."""


_HEADER = re.compile(r"([FMDW]) ([A-Za-z0-9._/+@:,=*-]{1,4096})")
_B64_LINE = re.compile(r"[A-Za-z0-9+/=]{0,1024}")
_MEMMAP_LINE = re.compile(r"(\d{1,9}) 0x([0-9a-fA-F]{1,16}) 0x([0-9a-fA-F]{1,16}) ([ -~]{1,64})")
_KEYS = frozenset(
    {"uname-r", "uname-m", "memmap", "memmap-via", "klog", "klog-source", "boot-kernels",
     *POSTBOOT_KEYS}
)  # fmt: skip
_DMI = {"product": "/sys/class/dmi/id/product_name", "bios": "/sys/class/dmi/id/bios_version"}
#: One-line, world-readable facts besides the DMI ones (not boot files).
_ONE_LINE = (*_DMI.values(), "/sys/devices/system/cpu/possible")
_KERNEL_NAME = re.compile(r"[A-Za-z0-9._+@:,=-]{1,255}")


@dataclass(frozen=True)
class Sections:
    """The sections of one output: data by key, and the keys reported missing or denied."""

    data: Mapping[str, bytes]
    missing: frozenset[str]
    denied: frozenset[str]
    skipped_names: int


def _known_key(key: str) -> bool:
    if key in _KEYS or key in ("/proc/cmdline", *_ONE_LINE):
        return True
    if "/../" in key or key.endswith("/.."):
        return False
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in BOOT_FILE_PATTERNS)


def split_sections(raw: bytes) -> Sections:
    """Check the framing of ``raw`` strictly and decode each section."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise GarbageOutput("output is not ASCII") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != MAGIC:
        raise GarbageOutput(f"output does not start with {MAGIC!r}")
    if lines[-1] != END:
        raise GarbageOutput(f"output does not end with {END!r}")
    data: dict[str, bytes] = {}
    missing: set[str] = set()
    denied: set[str] = set()
    skipped = 0
    seen: set[str] = set()
    i, last = 1, len(lines) - 1
    while i < last:
        line = lines[i]
        m = _HEADER.fullmatch(line)
        if m is None:
            raise GarbageOutput(f"line {i + 1}: not a section header")
        tag, key = m.groups()
        i += 1
        if tag == "W":
            if key != "skipped-name":
                raise GarbageOutput(f"line {i}: unknown warning {key!r}")
            skipped += 1
            continue
        if not _known_key(key):
            raise GarbageOutput(f"line {i}: unexpected section {key!r}")
        if key in seen:
            raise GarbageOutput(f"line {i}: section {key!r} repeated")
        seen.add(key)
        if tag == "M":
            missing.add(key)
            continue
        if tag == "D":
            denied.add(key)
            continue
        chunks: list[str] = []
        while i < last and lines[i] != ".":
            if _B64_LINE.fullmatch(lines[i]) is None:
                raise GarbageOutput(f"line {i + 1}: not base64 in section {key!r}")
            chunks.append(lines[i])
            i += 1
        if i >= last:
            raise GarbageOutput(f"section {key!r} is not terminated")
        i += 1
        try:
            data[key] = base64.b64decode("".join(chunks), validate=True)
        except (binascii.Error, ValueError):
            raise GarbageOutput(f"section {key!r} is not valid base64") from None
    return Sections(data, frozenset(missing), frozenset(denied), skipped)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _one_line(sections: Sections, key: str, required: bool) -> str | None:
    raw = sections.data.get(key)
    if raw is None:
        if required:
            raise GarbageOutput(f"section {key!r} is missing")
        return None
    value = _text(raw).rstrip("\n")
    if "\n" in value:
        raise GarbageOutput(f"section {key!r} has more than one line")
    if required and not value.strip():
        raise GarbageOutput(f"section {key!r} is empty")
    return value


def _memmap(raw: bytes) -> tuple[FirmwareEntry, ...]:
    entries: list[FirmwareEntry] = []
    for n, line in enumerate(_text(raw).splitlines(), 1):
        m = _MEMMAP_LINE.fullmatch(line)
        if m is None:
            raise GarbageOutput(f"memmap line {n} is not 'index 0xstart 0xend type'")
        index, start, end, etype = int(m[1]), int(m[2], 16), int(m[3], 16), m[4]
        if end < start:
            raise GarbageOutput(f"memmap entry {index} ends before it starts")
        entries.append(FirmwareEntry(index, start, end, etype))
    entries.sort(key=lambda e: e.index)
    if len({e.index for e in entries}) != len(entries):
        raise GarbageOutput("memmap indexes repeat")
    return tuple(entries)


def parse_output(raw: bytes, address: str, collected_at: str) -> HostFacts:
    """The facts in one remote output; GarbageOutput when it is not exactly the framed format."""
    sections = split_sections(raw)
    notes: list[str] = []
    kernel_release = _one_line(sections, "uname-r", True) or ""
    arch = _one_line(sections, "uname-m", True) or ""
    if "/proc/cmdline" not in sections.data:
        raise GarbageOutput("/proc/cmdline was not read")
    cmdline = _text(sections.data["/proc/cmdline"]).rstrip("\n")
    memmap: tuple[FirmwareEntry, ...] = ()
    e820_text = ""
    source: E820Source = "none"
    if "memmap" in sections.data:
        memmap = _memmap(sections.data["memmap"])
        source = "sysfs"
        if _one_line(sections, "memmap-via", False) == "sudo":
            notes.append("/sys/firmware/memmap read through sudo -n")
    else:
        why = "unreadable" if "memmap" in sections.denied else "absent or empty"
        if "klog" in sections.data:
            how = _one_line(sections, "klog-source", True)
            if how not in ("dmesg", "journal"):
                raise GarbageOutput(f"unknown kernel log source {how!r}")
            source = "dmesg" if how == "dmesg" else "journal"
            e820_text = _text(sections.data["klog"])
            notes.append(f"/sys/firmware/memmap {why}: e820 map taken from the kernel log ({how})")
            if "BIOS-e820" not in e820_text:
                notes.append("the kernel log holds no BIOS-e820 lines (rotated out?)")
        else:
            notes.append(f"/sys/firmware/memmap {why} and the kernel log unreadable: no e820 map")
    boot_files: dict[str, str] = {}
    for key, raw in sections.data.items():
        if key.startswith("/") and key not in ("/proc/cmdline", *_ONE_LINE, *POSTBOOT_KEYS):
            boot_files[key] = _text(raw)
    unread = sorted(
        k
        for k in sections.denied
        if k.startswith("/") and k not in _ONE_LINE and k not in POSTBOOT_KEYS
    )
    if unread:
        notes.append("unreadable: " + ", ".join(unread))
    if sections.skipped_names:
        notes.append(f"{sections.skipped_names} boot file(s) with unusual names not read")
    kernels_raw = _text(sections.data.get("boot-kernels", b""))
    kernels = tuple(k for k in kernels_raw.splitlines() if k)
    if any(_KERNEL_NAME.fullmatch(k) is None for k in kernels):
        raise GarbageOutput("a /boot/vmlinuz-* version has unexpected characters")
    dmi_product = _one_line(sections, _DMI["product"], False)
    bios_version = _one_line(sections, _DMI["bios"], False)
    cpus_possible = _one_line(sections, _ONE_LINE[-1], False)
    nxt, how = next_kernel(boot_files, kernels, kernel_release)
    try:
        postboot = postboot_facts(sections.data, sections.missing, sections.denied)
    except ValueError as exc:
        raise GarbageOutput(str(exc)) from None
    return HostFacts(
        address=address,
        collected_at=collected_at,
        kernel_release=kernel_release,
        arch=arch,
        proc_cmdline=cmdline,
        e820_source=source,
        memmap=memmap,
        e820_text=e820_text,
        dmi_product=dmi_product,
        bios_version=bios_version,
        cpus_possible=cpus_possible,
        boot_files=boot_files,
        boot_kernels=kernels,
        next_kernel=nxt,
        next_kernel_source=how,
        notes=tuple(notes),
        postboot=postboot,
    )
