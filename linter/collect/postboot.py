"""The post-boot facts: what the running kernel made of its reservations and their consumers.

Read by the same remote script as the firmware map (``script.py``), as root (directly or through
``sudo -n``) because each file below is root-only on a stock kernel: ``/proc/iomem`` (addresses
read as zero otherwise), ``/sys/module/ramoops/parameters/*`` (mode 0400, fs/pstore/ram.c),
debugfs ``memblock/reserve_mem_param``, tracefs ``instances/``, ``/sys/fs/pstore`` (mode 0750)
and the kernel log (``kernel.dmesg_restrict``). Every file is optional: a section the host did
not have is *missing*, one it would not show is *denied*; ``verify`` reports what it could not
check instead of taking silence for success.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

IOMEM = "/proc/iomem"
RESERVE_MEM_PARAM = "/sys/kernel/debug/memblock/reserve_mem_param"

#: Section keys of the remote script's post-boot part.
POSTBOOT_KEYS = frozenset(
    {
        IOMEM,
        RESERVE_MEM_PARAM,
        "ramoops-params",
        "trace-instances",
        "pstore",
        "pstore-archive",
        "pstore-mounted",
        "klog-postboot",
        "postboot-via",
    }
)

_PARAM_LINE = re.compile(r"([a-z_]{1,32}) ?(.{0,1024})")
_NAME = re.compile(r"[A-Za-z0-9._+@:,=-]{1,255}|\?")


@dataclass(frozen=True)
class PostBoot:
    """What the running kernel shows after the boot; None means not read (see ``missing``)."""

    iomem: str | None = None
    ramoops: Mapping[str, str] | None = None
    reserve_mem_param: str | None = None
    trace_instances: tuple[str, ...] | None = None
    pstore_mounted: bool | None = None
    pstore: tuple[str, ...] | None = None
    pstore_archive: tuple[str, ...] | None = None
    klog: str | None = None
    #: Sections the host does not have (module not loaded, no debugfs file...).
    missing: tuple[str, ...] = ()
    #: Sections the host would not show (not root, no sudo, no debugfs mounted).
    denied: tuple[str, ...] = ()
    sudo: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``postboot`` in ``schema/facts.schema.json``)."""
        return {
            "iomem": self.iomem,
            "ramoops": None if self.ramoops is None else dict(sorted(self.ramoops.items())),
            "reserve_mem_param": self.reserve_mem_param,
            "trace_instances": _list(self.trace_instances),
            "pstore_mounted": self.pstore_mounted,
            "pstore": _list(self.pstore),
            "pstore_archive": _list(self.pstore_archive),
            "klog": self.klog,
            "missing": list(self.missing),
            "denied": list(self.denied),
            "sudo": self.sudo,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PostBoot:
        """Read the JSON form back (already validated against the schema)."""
        return cls(
            iomem=d["iomem"],
            ramoops=None if d["ramoops"] is None else dict(d["ramoops"]),
            reserve_mem_param=d["reserve_mem_param"],
            trace_instances=_tuple(d["trace_instances"]),
            pstore_mounted=d["pstore_mounted"],
            pstore=_tuple(d["pstore"]),
            pstore_archive=_tuple(d["pstore_archive"]),
            klog=d["klog"],
            missing=tuple(d["missing"]),
            denied=tuple(d["denied"]),
            sudo=d["sudo"],
        )


def _list(value: tuple[str, ...] | None) -> list[str] | None:
    return None if value is None else list(value)


def _tuple(value: list[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _names(raw: bytes | None, key: str) -> tuple[str, ...] | None:
    if raw is None:
        return None
    names = tuple(n for n in _text(raw).splitlines() if n)
    if any(_NAME.fullmatch(n) is None for n in names):
        raise ValueError(f"section {key!r} holds a name with unexpected characters")
    return names


def _params(raw: bytes | None) -> dict[str, str] | None:
    if raw is None:
        return None
    params: dict[str, str] = {}
    for n, line in enumerate(_text(raw).splitlines(), 1):
        m = _PARAM_LINE.fullmatch(line)
        if m is None:
            raise ValueError(f"ramoops-params line {n} is not 'name value'")
        params[m[1]] = m[2]
    return params


def postboot_facts(
    data: Mapping[str, bytes], missing: frozenset[str], denied: frozenset[str]
) -> PostBoot | None:
    """The post-boot sections of one output (None when the script had no post-boot part)."""
    if not POSTBOOT_KEYS & (data.keys() | missing | denied):
        return None
    mounted = data.get("pstore-mounted")
    if mounted is not None and _text(mounted).strip() not in ("yes", "no"):
        raise ValueError("section 'pstore-mounted' is neither yes nor no")
    via = data.get("postboot-via")
    if via is not None and _text(via).strip() != "sudo":
        raise ValueError("section 'postboot-via' is not sudo")
    iomem, param, klog = (data.get(k) for k in (IOMEM, RESERVE_MEM_PARAM, "klog-postboot"))
    return PostBoot(
        iomem=None if iomem is None else _text(iomem),
        ramoops=_params(data.get("ramoops-params")),
        reserve_mem_param=None if param is None else _text(param),
        trace_instances=_names(data.get("trace-instances"), "trace-instances"),
        pstore_mounted=None if mounted is None else _text(mounted).strip() == "yes",
        pstore=_names(data.get("pstore"), "pstore"),
        pstore_archive=_names(data.get("pstore-archive"), "pstore-archive"),
        klog=None if klog is None else _text(klog),
        missing=tuple(sorted(POSTBOOT_KEYS & missing)),
        denied=tuple(sorted(POSTBOOT_KEYS & denied)),
        sudo=via is not None,
    )
