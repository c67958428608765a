"""A region name with a comma in it.

What it finds:
    On the RFC kernel, ``memmap=nn*align:a,b``: ``parse_memmap_opt()`` splits the value at every
    comma before the wildcard branch sees it, so the name is ``a`` and ``b`` is parsed as a
    memmap piece of its own; the finding says what the kernel does with it. For ``reserve_mem=``
    the comma stays in the name (``a,b``).

    Ownership: on the RFC kernel the pieces after a named wildcard that do not start with a digit
    are this rule's (MM101, MM102, MM103, MM109 skip them); a piece starting with a digit is read
    as a separate piece and reported by those rules.

Why it matters:
    The cut-off rest goes through ``parse_memmap_one()``: with no number it is ignored, but a rest
    that starts with a suffix letter is read as 0 plus a suffix (``memparse`` honours a suffix
    without digits), and what follows sends it to the memory-limit branch with limit 0:
    ``memmap=1M*4K:trace,events`` removes every byte of RAM. ``reserve_mem()`` keeps the comma (its
    name is all text after the second ``:``), so a consumer looking for ``a`` does not find ``a,b``
    (arch/x86/kernel/e820.c, mm/memblock.c; arch/x86/kernel/e820.c parse_memmap_one(); mm/memblock.c
    reserve_mem(); the RFC patch's memmap_named()).

Example:
    ``memmap=12M*4096:oops,trace`` (meant as two regions).

How to fix:
    One region per piece, each with its own size: ``memmap=12M*4096:oops,1M*4096:trace``, or
    ``reserve_mem=12M:4096:oops reserve_mem=1M:4096:trace``. Names cannot contain commas.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.kernel.model import RESERVE_MEM, RFC
from memmap_lint.kernel.names import name_tails, named
from memmap_lint.kernel.params import ADD_FORMS, MemmapItem, memmap_items
from memmap_lint.kernel.sizes import human
from memmap_lint.rule import Hit, HostContext

CODE = "MM205"
NAME = "name-has-comma"
SEVERITY = "error"
NEEDS_E820 = False


def _fate(item: MemmapItem) -> tuple[str, bool]:
    """What parse_memmap_one() does with a cut-off rest, and whether that is harmful."""
    shown = f"memmap={item.text}"
    if item.form == "none":
        return f"'{item.text}' has no number, so the kernel ignores it as {shown} (-EINVAL)", False
    assert item.size is not None
    size = item.size.value
    if item.size.digits_end == item.size.start:
        read = f"'{item.text[: item.size.end]}' is read as 0 with the suffix {item.size.suffix}"
    else:
        read = f"the kernel reads a size of {human(size)}"
    if item.form == "limit":
        nxt = f" and '{item.trailing[:1]}' is no memmap form" if item.trailing else ""
        return (
            f"{read}{nxt}, so {shown} is the memory-limit form: every byte of RAM at or above "
            f"{size:#x} ({human(size)}) is removed",
            True,
        )
    if item.form in ADD_FORMS or item.form == "%":
        return f"{read} and {shown} edits the e820 map", True
    if item.form == "*":
        return f"{read} and {shown} is another wildcard", True
    return f"the kernel reads it as {shown}", False


def check(ctx: HostContext) -> Iterator[Hit]:
    if ctx.kernel.dialect == RFC:
        for param in ctx.cmdline.named("memmap"):
            pieces = memmap_items(param, wildcard=True)
            owned = name_tails(ctx.kernel, pieces)
            head: MemmapItem | None = None
            for item in pieces:
                if item.offset not in owned:
                    head = item if item.form == "*" and item.name is not None else None
                    continue
                assert head is not None
                what, harmful = _fate(item)
                message = (
                    f"memmap={head.text},{item.text}: memmap= splits at every comma, so the region's "
                    f"name is '{head.name}' and '{item.text}' is a piece of its own: {what}. Names "
                    "cannot contain commas; give each region its own piece with a size."
                )
                yield Hit(
                    ("critical: " + message) if harmful else message,
                    param=param,
                    offset=item.offset - 1,
                    text=f"memmap={item.text}",
                    severity=None if harmful else "warning",
                )
    if ctx.kernel.has_reserve_mem:
        for req in named(ctx.cmdline, ctx.kernel):
            if req.kind != RESERVE_MEM or req.name is None or "," not in req.name:
                continue
            yield Hit(
                f"{req.text}: reserve_mem= takes one region and keeps the comma: the name is "
                f"'{req.name}', and a consumer asking for '{req.name.split(',')[0]}' finds nothing. "
                "Write one reserve_mem= per region.",
                param=req.param,
                offset=(req.name_offset or req.offset) + req.name.index(","),
                text=req.text,
                severity="warning",
            )
