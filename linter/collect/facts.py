"""What collection produces for one host: ``HostFacts`` or a ``CollectFailure``.

One schema shared by the SSH collector, the cache and (later) the Ansible facts module:
``HostFacts.to_dict()`` is the JSON form, described by ``schema/facts.schema.json``, and
``HostFacts.from_dict()`` reads it back (a document that breaks the schema is a ``LintError``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal, cast

from memmap_lint.collect.postboot import PostBoot
from memmap_lint.errors import LintError

_CPULIST = re.compile(r"\d{1,5}(?:-\d{1,5})?(?:,\d{1,5}(?:-\d{1,5})?){0,1023}")

FACTS_SCHEMA_ID = "memmap-lint/facts/v1"

E820Source = Literal["sysfs", "dmesg", "journal", "none"]

#: Causes a failure can have; the CLI reports each as MM601 with this word.
FailureCause = Literal[
    "refused",
    "timeout",
    "unreachable",
    "not-ssh",
    "closed",
    "auth",
    "hostkey-unknown",
    "hostkey-changed",
    "permission",
    "output-too-large",
    "garbage",
    "command-failed",
    "config",
    "error",
]


@dataclass(frozen=True)
class FirmwareEntry:
    """One ``/sys/firmware/memmap/N`` entry: inclusive ``end`` and the type string as sysfs has it."""

    index: int
    start: int
    end: int
    type: str


@dataclass(frozen=True)
class HostFacts:
    """Everything collected from one host in one run."""

    address: str
    collected_at: str
    kernel_release: str
    arch: str
    proc_cmdline: str
    e820_source: E820Source
    memmap: tuple[FirmwareEntry, ...] = ()
    e820_text: str = ""
    dmi_product: str | None = None
    bios_version: str | None = None
    #: ``/sys/devices/system/cpu/possible`` as read (a cpulist such as ``0-7``), None if unread.
    cpus_possible: str | None = None
    boot_files: Mapping[str, str] = field(default_factory=dict)
    boot_kernels: tuple[str, ...] = ()
    next_kernel: str | None = None
    next_kernel_source: str = "unknown"
    notes: tuple[str, ...] = ()
    #: What the running kernel shows of its reservations and consumers (None: not collected).
    postboot: PostBoot | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``schema/facts.schema.json``)."""
        extra = {} if self.postboot is None else {"postboot": self.postboot.to_dict()}
        return {
            "schema": FACTS_SCHEMA_ID,
            "address": self.address,
            "collected_at": self.collected_at,
            "kernel_release": self.kernel_release,
            "arch": self.arch,
            "proc_cmdline": self.proc_cmdline,
            "e820_source": self.e820_source,
            "memmap": [
                {"index": e.index, "start": e.start, "end": e.end, "type": e.type}
                for e in self.memmap
            ],
            "e820_text": self.e820_text,
            "dmi_product": self.dmi_product,
            "bios_version": self.bios_version,
            "cpus_possible": self.cpus_possible,
            "boot_files": dict(sorted(self.boot_files.items())),
            "boot_kernels": list(self.boot_kernels),
            "next_kernel": self.next_kernel,
            "next_kernel_source": self.next_kernel_source,
            "notes": list(self.notes),
            **extra,
        }

    @property
    def cpus(self) -> int | None:
        """``nr_cpu_ids``: the highest possible CPU plus one (K6.12 kernel/smp.c
        ``setup_nr_cpu_ids()``, ``find_last_bit(cpu_possible_mask) + 1``); None when not read or
        not a cpulist (lib/bitmap-str.c ``bitmap_print_to_pagebuf``: ``0-3,8-11``)."""
        text = (self.cpus_possible or "").strip()
        if not _CPULIST.fullmatch(text):
            return None
        return max(int(n) for n in re.split(r"[,-]", text)) + 1

    @classmethod
    def from_dict(cls, data: object) -> HostFacts:
        """Read the JSON form back; a document that does not match the schema is a LintError."""
        validate_facts(data)
        d = cast(dict[str, Any], data)
        return cls(
            address=d["address"],
            collected_at=d["collected_at"],
            kernel_release=d["kernel_release"],
            arch=d["arch"],
            proc_cmdline=d["proc_cmdline"],
            e820_source=d["e820_source"],
            memmap=tuple(
                FirmwareEntry(e["index"], e["start"], e["end"], e["type"]) for e in d["memmap"]
            ),
            e820_text=d["e820_text"],
            dmi_product=d["dmi_product"],
            bios_version=d["bios_version"],
            cpus_possible=d.get("cpus_possible"),
            boot_files=dict(d["boot_files"]),
            boot_kernels=tuple(d["boot_kernels"]),
            next_kernel=d["next_kernel"],
            next_kernel_source=d["next_kernel_source"],
            notes=tuple(d["notes"]),
            postboot=PostBoot.from_dict(d["postboot"]) if d.get("postboot") else None,
        )


@dataclass(frozen=True)
class CollectFailure:
    """Why one host could not be collected; ``message`` is one line, free of secrets."""

    host: str
    cause: FailureCause
    message: str
    address: str | None = None
    attempts: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "cause": self.cause,
            "message": self.message,
            "address": self.address,
            "attempts": self.attempts,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CollectFailure:
        try:
            host, cause, message = data["host"], data["cause"], data["message"]
            address, attempts = data.get("address"), data.get("attempts", 1)
        except (KeyError, TypeError) as exc:
            raise LintError("MM601", f"bad failure record: missing {exc}") from None
        if not (isinstance(host, str) and isinstance(cause, str) and isinstance(message, str)):
            raise LintError("MM601", "bad failure record: host, cause and message must be strings")
        if cause not in FailureCause.__args__:  # type: ignore[attr-defined]
            raise LintError("MM601", f"bad failure record: unknown cause {cause!r}")
        if address is not None and not isinstance(address, str):
            raise LintError("MM601", "bad failure record: address must be a string")
        if not isinstance(attempts, int) or isinstance(attempts, bool):
            raise LintError("MM601", "bad failure record: attempts must be an integer")
        return cls(host, cast(FailureCause, cause), message, address, attempts)


@cache
def facts_schema() -> dict[str, Any]:
    """The JSON Schema of ``HostFacts.to_dict()``."""
    text = resources.files(__package__).joinpath("schema/facts.schema.json").read_text("utf-8")
    return cast(dict[str, Any], json.loads(text))


def validate_facts(data: object) -> None:
    """Raise LintError (MM601) naming the first place where ``data`` breaks the facts schema."""
    import jsonschema  # only a run that reads collected facts pays for it

    validator = jsonschema.Draft202012Validator(facts_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise LintError(
            "MM601", f"facts do not match {FACTS_SCHEMA_ID} at {where}: {error.message}"
        )
