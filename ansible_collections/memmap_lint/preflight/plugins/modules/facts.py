#!/usr/bin/python
"""Ansible module memmap_lint.preflight.facts: read what memmap-lint needs from the target.

Runs on the target with only the Python Ansible uses there (no memmap_lint import): it reads
files and runs dmesg/journalctl, nothing else, and returns them in the shape of memmap-lint's
facts schema (memmap-lint/facts/v1). The action plugin of the same name completes ``address`` and
``next_kernel`` on the controller with memmap-lint's own code and validates the result.
"""

from __future__ import annotations

import glob
import os
import re
import time

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: facts
short_description: Read a host's firmware memory map, command line and boot files for memmap-lint
version_added: "0.1.0"
description:
  - Reads, without changing anything, what memmap-lint needs to judge a kernel command line on
    this host, and returns it as the fact C(memmap_lint) in the shape of memmap-lint's facts
    schema (C(memmap-lint/facts/v1), the same as C(memmap-lint collect) stores).
  - "Read on the target: the running kernel's release and architecture, C(/proc/cmdline), the
    firmware e820 map from C(/sys/firmware/memmap) (or, when that is missing or unreadable, the
    kernel log's e820 lines from C(dmesg) or C(journalctl -k)), the DMI product name and BIOS
    version, the boot files (C(/etc/default/grub), C(/etc/default/grub.d/*.cfg), C(grub.cfg),
    C(grubenv), BLS entries, C(/etc/kernel/cmdline)) and the C(/boot/vmlinuz-*) versions."
  - "And what the running kernel shows after the boot, for M(memmap_lint.preflight.verify)
    (C(postboot)): C(/proc/iomem), C(/sys/module/ramoops/parameters), debugfs
    C(memblock/reserve_mem_param) when mounted, the tracefs instances, the names in
    C(/sys/fs/pstore) and C(/var/lib/systemd/pstore), whether pstore is mounted, and the kernel
    log's lines about e820, reserve_mem, ramoops, pstore and tracing. These are root-only."
  - "Completed on the controller (the action plugin, which needs memmap-lint installed there):
    C(address) and the kernel that boots next (C(next_kernel), read from the boot files as
    C(memmap-lint collect) does), and the whole document is checked against the schema."
  - C(/sys/firmware/memmap) is readable by root only on most kernels; use C(become=true).
options: {}
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to diff.
notes:
  - Runs on Linux targets. Needs nothing but the Python Ansible already uses there.
author:
  - memmap-lint authors
"""

EXAMPLES = r"""
- name: Gather memmap-lint facts
  memmap_lint.preflight.facts:
  become: true

- name: Show the next kernel and the firmware map's size
  ansible.builtin.debug:
    msg: "{{ ansible_facts.memmap_lint.next_kernel }}: {{ ansible_facts.memmap_lint.memmap | length }} entries"
"""

RETURN = r"""
ansible_facts:
  description: The facts, under the key C(memmap_lint).
  returned: always
  type: complex
  contains:
    memmap_lint:
      description: A document of memmap-lint's facts schema (C(memmap-lint schema) shows the
        inventory schema; the facts schema is C(memmap_lint/collect/schema/facts.schema.json)).
      returned: always
      type: dict
      sample:
        schema: memmap-lint/facts/v1
        address: "10.0.3.11:22"
        collected_at: "2026-05-09T07:35:25Z"
        kernel_release: 6.1.0-28-amd64
        arch: x86_64
        proc_cmdline: BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=/dev/sda1 ro quiet
        e820_source: sysfs
        memmap: [{index: 0, start: 0, end: 654335, type: System RAM}]
        e820_text: ""
        dmi_product: PowerEdge R7625
        bios_version: 1.6.6
        cpus_possible: 0-127
        boot_files: {/etc/default/grub: "GRUB_DEFAULT=0\n"}
        boot_kernels: [6.1.0-28-amd64]
        next_kernel: 6.1.0-28-amd64
        next_kernel_source: newest /boot/vmlinuz-*
        notes: []
"""

SCHEMA = "memmap-lint/facts/v1"
MEMMAP = "/sys/firmware/memmap"
DMI_PRODUCT = "/sys/class/dmi/id/product_name"
DMI_BIOS = "/sys/class/dmi/id/bios_version"
CPUS_POSSIBLE = "/sys/devices/system/cpu/possible"
# The SSH collector's list (memmap_lint.collect.script.BOOT_FILE_PATTERNS), in the same order.
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
KLOG_LINE = re.compile(r"e820|Command line|command line")
# The post-boot part, as the SSH collector's script reads it (memmap_lint.collect.script, PB).
POSTBOOT_KLOG = re.compile(
    r"ramoops|pstore|reserve_mem|[Tt]racing|boot instance|e820|user-defined|user: |Command line"
    r"|command line|ecc:"
)
NAME = re.compile(r"[A-Za-z0-9._+@:,=-]+")
RAMOOPS_PARAMS = "/sys/module/ramoops/parameters"
RESERVE_MEM_PARAM = "/sys/kernel/debug/memblock/reserve_mem_param"


def read_text(path):
    """The file's text (UTF-8, bad bytes replaced), or None when unreadable."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return None


def one_line(path):
    text = read_text(path)
    return None if text is None else text.rstrip("\n")


def read_memmap():
    """(entries, why none): sysfs entries in index order, else the reason there are none."""
    if not os.path.isdir(MEMMAP):
        return [], "absent or empty"
    entries = []
    try:
        names = os.listdir(MEMMAP)
    except OSError:
        return [], "unreadable"
    for name in names:
        if not name.isdigit():
            continue
        values = [one_line(os.path.join(MEMMAP, name, k)) for k in ("start", "end", "type")]
        if any(v is None for v in values):
            return [], "unreadable"
        start, end, etype = values
        try:
            entries.append(
                {"index": int(name), "start": int(start, 16), "end": int(end, 16), "type": etype}
            )
        except ValueError:
            return [], "unreadable"
    entries.sort(key=lambda e: e["index"])
    return entries, None if entries else "absent or empty"


def read_kernel_log(module):
    """(source, lines mentioning e820 or the command line) from dmesg, else journalctl -k."""
    for source, argv in (
        ("dmesg", ["dmesg"]),
        ("journal", ["journalctl", "-k", "-b", "--no-pager", "-q"]),
    ):
        path = module.get_bin_path(argv[0])
        if path is None:
            continue
        rc, out, _err = module.run_command([path, *argv[1:]], environ_update={"LC_ALL": "C"})
        if rc == 0 and out.strip():
            kept = [line for line in out.splitlines() if KLOG_LINE.search(line)]
            return source, "".join(line + "\n" for line in kept)
    return None, ""


def boot_kernels():
    out = []
    for path in sorted(glob.glob("/boot/vmlinuz-*")):
        version = path[len("/boot/vmlinuz-") :]
        if version:
            out.append(version)
    return out


def mounted(where, fstype):
    """Whether ``fstype`` is mounted on ``where`` (/proc/mounts)."""
    text = read_text("/proc/mounts") or ""
    return any(line.split()[1:3] == [where, fstype] for line in text.splitlines() if line.strip())


def names_in(path, root):
    """(names, state): the entries of a directory (``?`` for an unusual name)."""
    if not os.path.isdir(path):
        return None, "missing" if root else "denied"
    if not os.access(path, os.R_OK | os.X_OK):
        return None, "denied"
    try:
        found = sorted(os.listdir(path))
    except OSError:
        return None, "denied"
    return [n if NAME.fullmatch(n) else "?" for n in found], None


def gather_postboot(module):
    """What the running kernel shows of its reservations and consumers (root-only files)."""
    root = os.geteuid() == 0
    missing, denied = [], []
    out = {}

    def note(key, state):
        if state == "missing":
            missing.append(key)
        elif state == "denied":
            denied.append(key)

    out["iomem"] = read_text("/proc/iomem") if root else None
    note("/proc/iomem", None if out["iomem"] is not None else "denied")
    params = None
    if not os.path.isdir(RAMOOPS_PARAMS):
        note("ramoops-params", "missing")
    elif not root:
        note("ramoops-params", "denied")
    else:
        params = {}
        for name in sorted(os.listdir(RAMOOPS_PARAMS)):
            value = one_line(os.path.join(RAMOOPS_PARAMS, name))
            if value is not None:
                params[name] = value.split("\n")[0]
    out["ramoops"] = params
    param = None
    if not root or not mounted("/sys/kernel/debug", "debugfs"):
        note(RESERVE_MEM_PARAM, "denied")
    elif not os.path.exists(RESERVE_MEM_PARAM):
        note(RESERVE_MEM_PARAM, "missing")
    else:
        param = read_text(RESERVE_MEM_PARAM)
        note(RESERVE_MEM_PARAM, None if param is not None else "denied")
    out["reserve_mem_param"] = param
    tracing = "/sys/kernel/tracing"
    if not os.path.isdir(tracing + "/instances"):
        tracing = "/sys/kernel/debug/tracing"
    for key, field, path in (
        ("trace-instances", "trace_instances", tracing + "/instances"),
        ("pstore", "pstore", "/sys/fs/pstore"),
        ("pstore-archive", "pstore_archive", "/var/lib/systemd/pstore"),
    ):
        names, state = names_in(path, root)
        out[field] = names
        note(key, state)
    out["pstore_mounted"] = mounted("/sys/fs/pstore", "pstore")
    klog = None
    path = module.get_bin_path("dmesg")
    if path is not None:
        rc, text, _err = module.run_command([path], environ_update={"LC_ALL": "C"})
        if rc == 0 and text.strip():
            kept = [line for line in text.splitlines() if POSTBOOT_KLOG.search(line)]
            klog = "".join(line + "\n" for line in kept)
    note("klog-postboot", None if klog is not None else "denied")
    out["klog"] = klog
    out["missing"] = sorted(missing)
    out["denied"] = sorted(denied)
    out["sudo"] = False
    return out


def gather(module):
    """The facts document (``address`` and ``next_kernel`` left for the controller)."""
    uname = os.uname()
    notes = []
    cmdline = read_text("/proc/cmdline")
    if cmdline is None:
        module.fail_json(msg="cannot read /proc/cmdline")
    memmap, why = read_memmap()
    source, e820_text = "sysfs", ""
    if not memmap:
        klog_source, e820_text = read_kernel_log(module)
        if klog_source is not None:
            source = klog_source
            notes.append(
                MEMMAP + " " + why + ": e820 map taken from the kernel log (" + klog_source + ")"
            )
            if "BIOS-e820" not in e820_text:
                notes.append("the kernel log holds no BIOS-e820 lines (rotated out?)")
        else:
            source = "none"
            notes.append(MEMMAP + " " + why + " and the kernel log unreadable: no e820 map")
    files, unread = {}, []
    for pattern in BOOT_FILE_PATTERNS:
        paths = sorted(glob.glob(pattern)) if "*" in pattern else [pattern]
        for path in paths:
            if not os.path.exists(path):
                continue
            text = read_text(path) if os.path.isfile(path) else None
            if text is None:
                unread.append(path)
            else:
                files[path] = text
    if unread:
        notes.append("unreadable: " + ", ".join(sorted(unread)))
    return {
        "schema": SCHEMA,
        "address": "",
        "collected_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "kernel_release": uname.release,
        "arch": uname.machine,
        "proc_cmdline": cmdline.rstrip("\n"),
        "e820_source": source,
        "memmap": memmap,
        "e820_text": e820_text,
        "dmi_product": one_line(DMI_PRODUCT),
        "bios_version": one_line(DMI_BIOS),
        "cpus_possible": one_line(CPUS_POSSIBLE),
        "boot_files": dict(sorted(files.items())),
        "boot_kernels": boot_kernels(),
        "next_kernel": None,
        "next_kernel_source": "unknown",
        "notes": notes,
        "postboot": gather_postboot(module),
    }


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(changed=False, ansible_facts={"memmap_lint": gather(module)})


if __name__ == "__main__":
    main()
