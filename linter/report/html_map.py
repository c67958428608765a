"""Inline SVG pictures of e820 memory maps on a shared, size-compressing vertical scale.

Every boundary of every view (firmware entries, entries after the command line, regions) cuts
the address space into bands. A band's height grows with the logarithm of its size, so a 4 KiB
reservation stays visible next to a terabyte of RAM; a band that no view covers (a hole in the
map) is squeezed to a thin hatched strip. Views of one hardware profile share the scale, so the
same address sits at the same height in each picture. Low addresses are at the top, in the
order the kernel prints its table.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from memmap_lint.kernel.e820 import Entry, is_usable, type_name
from memmap_lint.kernel.sizes import human
from memmap_lint.report.escape import html_escape as escape

#: Band height in pixels: BASE for 4 KiB and below, PER_DOUBLING more for each doubling.
BASE = 13.0
PER_DOUBLING = 2.2
HOLE = 7.0

#: Placed regions by how they should catch the eye.
PLACED = "placed"
OVERLAP = "overlap"
MOVED = "moved"
OTHER = "other"

_TYPE_CLASS = {
    1: "t-ram",
    128: "t-ram",
    2: "t-res",
    3: "t-acpi",
    4: "t-nvs",
    5: "t-bad",
    7: "t-pmem",
    12: "t-pmem",
    0xEFFFFFFF: "t-soft",
}

_AXIS_W = 92
_BAR_W = 92
_LABEL_X = _AXIS_W + _BAR_W + 12
_WIDTH = 430
_LINE = 12.5


def band_height(size: int) -> float:
    """Pixels for a band of ``size`` bytes (logarithmic; see the module docstring)."""
    doublings = max(0.0, math.log2(max(size, 1)) - 12)
    return BASE + PER_DOUBLING * doublings


@dataclass(frozen=True, slots=True)
class Mark:
    """A region drawn over the map: ``kind`` is PLACED, OVERLAP, MOVED or OTHER."""

    name: str
    start: int
    size: int
    kind: str
    approximate: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class View:
    """One picture: a table of entries, the regions on it, and RAM the command line removed."""

    title: str
    entries: tuple[Entry, ...]
    marks: tuple[Mark, ...] = ()
    dropped: tuple[tuple[int, int], ...] = ()


class Scale:
    """Maps addresses to heights; built from every boundary of the views that share it."""

    def __init__(self, views: Sequence[View]) -> None:
        points: set[int] = set()
        covered: list[tuple[int, int]] = []
        for v in views:
            points |= boundaries(v)
            covered += [(e.start, e.end) for e in v.entries if e.size > 0]
            covered += [(m.start, m.start + m.size) for m in v.marks if m.size > 0]
        self.bounds = sorted(points)
        self.tops: list[float] = []
        self.holes: list[tuple[float, float]] = []
        y = 0.0
        spans = _merge(covered)
        for lo, hi in zip(self.bounds, self.bounds[1:], strict=False):
            self.tops.append(y)
            if _inside(spans, lo, hi):
                y += band_height(hi - lo)
            else:
                self.holes.append((y, HOLE))
                y += HOLE
        self.tops.append(y)
        self.height = y

    def y(self, addr: int) -> float:
        """Height of ``addr`` (exact at boundaries, linear inside a band)."""
        if not self.bounds:
            return 0.0
        i = bisect_right(self.bounds, addr) - 1
        if i < 0:
            return 0.0
        if i >= len(self.bounds) - 1:
            return self.tops[-1]
        lo, hi = self.bounds[i], self.bounds[i + 1]
        return self.tops[i] + (self.tops[i + 1] - self.tops[i]) * (addr - lo) / (hi - lo)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _inside(spans: list[tuple[int, int]], lo: int, hi: int) -> bool:
    i = bisect_right(spans, (lo, 1 << 80)) - 1
    return i >= 0 and spans[i][0] <= lo and hi <= spans[i][1]


def dropped_ram(firmware: Sequence[Entry], after: Sequence[Entry]) -> tuple[tuple[int, int], ...]:
    """Usable RAM of the firmware map that no entry of the final table covers any more."""
    kept = _merge([(e.start, e.end) for e in after if e.size > 0])
    out: list[tuple[int, int]] = []
    for e in firmware:
        if not is_usable(e.type) or e.size <= 0:
            continue
        lo = e.start
        for k_lo, k_hi in kept:
            if k_hi <= lo or k_lo >= e.end:
                continue
            if k_lo > lo:
                out.append((lo, k_lo))
            lo = max(lo, k_hi)
        if lo < e.end:
            out.append((lo, e.end))
    return tuple(out)


@dataclass
class _Label:
    want: float
    text: str
    cls: str
    y: float = 0.0


def _layout(labels: list[_Label]) -> float:
    """Spread labels downward so that none overlaps the one above; the lowest y used."""
    last = -1e9
    for lab in sorted(labels, key=lambda lab: lab.want):
        lab.y = max(lab.want, last + _LINE)
        last = lab.y
    return last


def _t(x: float, y: float, text: str, cls: str, anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}" '
        f'dominant-baseline="middle">{escape(text)}</text>'
    )


def draw(view: View, scale: Scale, uid: str) -> str:
    """The SVG of one view on ``scale``; ``uid`` keeps pattern ids unique in the page."""
    top = 8.0
    parts: list[str] = []
    labels: list[_Label] = []
    x0 = _AXIS_W
    for y, h in scale.holes:
        parts.append(
            f'<rect x="{x0}" y="{top + y:.1f}" width="{_BAR_W}" height="{h:.1f}" '
            f'fill="url(#hole-{uid})" class="hole"><title>hole: no e820 entry</title></rect>'
        )
    for e in view.entries:
        if e.size <= 0:
            continue
        y0, y1 = scale.y(e.start), scale.y(e.end)
        cls = _TYPE_CLASS.get(e.type, "t-other")
        desc = f"{type_name(e.type)} {e.start:#x}-{e.last:#x} ({human(e.size)})"
        parts.append(
            f'<rect x="{x0}" y="{top + y0:.1f}" width="{_BAR_W}" height="{max(y1 - y0, 1):.1f}" '
            f'class="e {cls}"><title>{escape(desc)}</title></rect>'
        )
        labels.append(_Label(top + (y0 + y1) / 2, f"{type_name(e.type)} · {human(e.size)}", "el"))
    for lo, hi in view.dropped:
        y0, y1 = scale.y(lo), scale.y(hi)
        parts.append(
            f'<rect x="{x0}" y="{top + y0:.1f}" width="{_BAR_W}" height="{max(y1 - y0, 1):.1f}" '
            f'fill="url(#drop-{uid})" class="dropped"><title>{escape(f"RAM removed by the command line: {lo:#x}-{hi - 1:#x} ({human(hi - lo)})")}</title></rect>'
        )
        labels.append(_Label(top + (y0 + y1) / 2, f"RAM dropped · {human(hi - lo)}", "ml m-drop"))
    for m in view.marks:
        y0, y1 = scale.y(m.start), scale.y(m.start + m.size)
        tilde = "~" if m.approximate else ""
        desc = f"{m.name}: {tilde}{m.start:#x}-{m.start + m.size - 1:#x} ({human(m.size)})"
        if m.note:
            desc += f" - {m.note}"
        dash = ' stroke-dasharray="4 2"' if m.approximate else ""
        parts.append(
            f'<rect x="{x0 + 6}" y="{top + y0:.1f}" width="{_BAR_W - 12}" '
            f'height="{max(y1 - y0, 2):.1f}" class="mark k-{m.kind}"{dash}>'
            f"<title>{escape(desc)}</title></rect>"
        )
        flag = {OVERLAP: "⚠ ", MOVED: "⇅ "}.get(m.kind, "")
        text = f"{flag}{m.name} · {human(m.size)} @ {tilde}{m.start:#x}"
        labels.append(_Label(top + (y0 + y1) / 2, text, f"ml m-{m.kind}"))
    bottom = _layout(labels)
    for lab in labels:
        if abs(lab.y - lab.want) > 0.5:
            parts.append(
                f'<path d="M{x0 + _BAR_W + 1} {lab.want:.1f} L{_LABEL_X - 3} {lab.y:.1f}" '
                'class="lead"/>'
            )
        parts.append(_t(_LABEL_X, lab.y, lab.text, lab.cls))
    axis = _axis(scale, top, view)
    height = max(top + scale.height, bottom) + 12
    defs = (
        f'<defs><pattern id="hole-{uid}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#bbb" stroke-width="2"/></pattern>'
        f'<pattern id="drop-{uid}" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#fde2e2"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#dc2626" stroke-width="3"/></pattern></defs>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map" width="{_WIDTH}" '
        f'height="{height:.0f}" viewBox="0 0 {_WIDTH} {height:.0f}" role="img" '
        f'aria-label="{escape(view.title)}">{defs}{axis}{"".join(parts)}</svg>'
    )


def boundaries(view: View) -> set[int]:
    """The addresses where something of ``view`` starts or ends (its entries, marks, drops)."""
    out: set[int] = set()
    for e in view.entries:
        if e.size > 0:
            out.update((e.start, e.end))
    for m in view.marks:
        if m.size > 0:
            out.update((m.start, m.start + m.size))
    for lo, hi in view.dropped:
        out.update((lo, hi))
    return out


def _axis(scale: Scale, top: float, view: View) -> str:
    """Address ticks at the boundaries of this view's own map (the shared scale also holds the
    other views' boundaries, which mark nothing here)."""
    own = boundaries(view)
    out: list[str] = []
    last = -1e9
    for addr, y in zip(scale.bounds, scale.tops, strict=False):
        if addr not in own or y - last < 10.5:
            continue
        last = y
        out.append(f'<path d="M{_AXIS_W - 4} {top + y:.1f} H{_AXIS_W}" class="tick"/>')
        out.append(_t(_AXIS_W - 7, top + y, f"{addr:#x}", "ax", "end"))
    return "".join(out)


def legend_rows() -> Iterable[tuple[str, str]]:
    """(css class, text) for the legend's colour keys."""
    yield "t-ram", "usable RAM"
    yield "t-res", "reserved"
    yield "t-acpi", "ACPI data"
    yield "t-nvs", "ACPI NVS"
    yield "t-pmem", "persistent memory"
    yield "t-bad", "unusable"
    yield "k-placed", "region (named reservation)"
    yield "k-overlap", "region sharing memory with another"
    yield "k-moved", "region at another address on other hosts of this profile"
    yield "m-drop", "RAM the command line removes"


def scale_note() -> str:
    """The legend's sentence about the scale, with the real heights of the formula."""
    h = {n: band_height(s) for n, s in (("4 KiB", 4096), ("1 MiB", 1 << 20), ("1 GiB", 1 << 30))}
    tib = band_height(1 << 40)
    sizes = ", ".join(f"{n} = {v:.0f} px" for n, v in h.items())
    return (
        "Scale: every boundary of every entry and region cuts the map into bands, and a band's "
        f"height grows with the logarithm of its size ({sizes}, 1 TiB = {tib:.0f} px), so a "
        "few KiB of reservation stays visible beside terabytes of RAM. Holes (addresses no "
        f"entry covers) are squeezed to {HOLE:.0f} px hatched strips. Pictures of one profile "
        "share the scale; the addresses on the left are exact. Low addresses are at the top, "
        "as the kernel prints its table."
    )
