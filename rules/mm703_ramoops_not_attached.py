"""ramoops did not attach to the region the booted command line gives it.

What it finds:
    After the reboot (``memmap-lint verify``), a host booted with ``ramoops.mem_name=`` (or
    ``ramoops.mem_address``/``mem_size``) where ramoops is not registered at that memory: the
    module is not loaded, it is loaded but registered nothing (the name found no region, a probe
    error), another pstore backend was registered first, or it registered elsewhere; or it is
    attached with other zone sizes (``record_size``, ``console_size``, ``ftrace_size``,
    ``pmsg_size``, as ``ramoops_probe()`` copies them back into its parameters) than the command
    line gives.

Why it matters:
    fs/pstore/ram.c ``ramoops_init()`` looks ``mem_name`` up with ``reserve_mem_find_by_name()``;
    when the name is unknown, ``mem_size`` stays 0 and ``ramoops_register_dummy()`` returns
    without a word. Debian builds ramoops as a module (``CONFIG_PSTORE_RAM=m``) that nothing
    loads by default, and fs/pstore/platform.c ``pstore_register()`` takes one backend only. In
    each case no crash log is kept: "pstore is empty after the crash".

Example:
    ``reserve_mem=12M:4096:oops ramoops.mem_name=opps``: the typo finds no region, ramoops stays
    silent, ``/sys/module/ramoops/parameters/mem_size`` reads 0.

How to fix:
    Name the region exactly (names are case-sensitive), load ramoops at boot (e.g.
    ``/etc/modules-load.d/ramoops.conf``; modprobe passes it the ``ramoops.*`` values of the
    command line), pin the backend with ``pstore.backend=ramoops``, then verify again.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.rule import Hit, HostContext
from memmap_lint.rules._verify_common import span, verdict

CODE = "MM703"
NAME = "ramoops-not-attached"
SEVERITY = "error"
NEEDS_E820 = True


def _why(ramoops: dict[str, object], names: list[str]) -> str | None:
    state = ramoops["state"]
    name = ramoops.get("mem_name")
    if state == "not-loaded":
        return "the ramoops module is not loaded (Debian builds it as a module nothing loads)"
    if state == "elsewhere":
        got = ramoops["attached"]
        assert isinstance(got, dict)
        expected = ramoops["expected"]
        assert isinstance(expected, list)
        return (
            f"ramoops registered at {span(got['start'], got['size'])}, not at the region "
            f"{span(expected[0], expected[1])}"
        )
    zones = ramoops.get("zones")
    if state == "attached" and isinstance(zones, dict) and zones:
        differ = ", ".join(f"{k} {got} (command line: {want})" for k, (want, got) in zones.items())
        return (
            f"ramoops registered with other zone sizes than the command line gives: {differ} "
            "(an 'options ramoops' line of modprobe.d sets what the command line does not)"
        )
    if state != "not-registered":
        return None
    other = ramoops.get("other_backend")
    if other:
        return f"pstore already had the backend {other!r} and ignored ramoops"
    errors = ramoops.get("errors") or []
    params = ramoops.get("params") or {}
    assert isinstance(params, dict) and isinstance(errors, list)
    if name and params.get("mem_size") in ("0", None) and ramoops.get("region") is None:
        known = f" (the command line reserves {', '.join(repr(n) for n in names)})" if names else ""
        return (
            f"ramoops.mem_name={name} names no reserved region{known}: ramoops left mem_size at "
            "0 and registered nothing, silently"
        )
    if name and params.get("mem_size") in ("0", None):
        return (
            f"region {name!r} was not reserved, so ramoops left mem_size at 0 and registered "
            "nothing"
        )
    said = f": {'; '.join(str(e) for e in errors)}" if errors else ""
    return f"ramoops was loaded but did not register{said}"


def check(ctx: HostContext) -> Iterator[Hit]:
    found = verdict(ctx)
    if found is None or found["ramoops"] is None:
        return
    names = [str(r["name"]) for r in found["regions"] if r["name"]]
    why = _why(found["ramoops"], names)
    if why is None:
        return
    param = ctx.cmdline.last("ramoops.mem_name") or ctx.cmdline.last("ramoops.mem_address")
    if found["ramoops"]["state"] == "attached":
        yield Hit(f"ramoops is attached but {why}: the records are not laid out as planned.", param)
    else:
        yield Hit(f"ramoops is not attached: {why}. No crash log will be kept.", param)
