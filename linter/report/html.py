"""The HTML report: one self-contained page (inline CSS, JS and SVG; nothing fetched).

It holds the summary, a findings table that sorts and filters by host, group, code and
severity, and for each hardware profile (hosts whose firmware maps have the same digest) a
picture of the firmware map and of the map after each distinct command line, with every region
where it lands. Regions that do not fit, share memory or land elsewhere on other hosts of the
profile come first and are drawn to catch the eye. Every string from the inventory is escaped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from memmap_lint import __version__
from memmap_lint.engine.findings import SEVERITIES, Finding, rank
from memmap_lint.engine.results import HostResult, summary
from memmap_lint.kernel.e820 import Entry
from memmap_lint.kernel.model import INVALID, NO_FIT, PLACED, UNSUPPORTED, Region, Simulation
from memmap_lint.kernel.placement import overlaps
from memmap_lint.kernel.sizes import human
from memmap_lint.report import html_map
from memmap_lint.report.escape import html_escape as escape
from memmap_lint.report.html_assets import CSS, JS

_HOST_LIMIT = 40


@dataclass
class _SimView:
    sim: Simulation
    hosts: list[str] = field(default_factory=list)


@dataclass
class _Profile:
    key: str
    firmware: tuple[Entry, ...]
    sims: list[_SimView] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    worst: int = 0
    #: "product, BIOS x" as the hosts name their hardware -> how many hosts say so
    hardware: dict[str, int] = field(default_factory=dict)

    def title(self) -> str:
        """The hardware as the inventory names it (the commonest name first), else the first
        host's: the digest is only the tooltip."""
        if not self.hardware:
            return f"{self.hosts[0]}'s hardware (no product given)"
        names = sorted(self.hardware, key=lambda h: (-self.hardware[h], h))
        more = f" (+{len(names) - 1} other names)" if len(names) > 1 else ""
        return names[0] + more

    def trouble(self) -> tuple[int, ...]:
        bad = sum(1 for v in self.sims for r in v.sim.regions if _not_placed(r))
        clash = sum(len(overlaps(v.sim)) for v in self.sims)
        panic = sum(1 for v in self.sims if v.sim.panic)
        return (panic, bad + clash + len(_moved(self)), self.worst, len(self.hosts))


def _not_placed(r: Region) -> bool:
    return r.start is None or r.status in (NO_FIT, INVALID, UNSUPPORTED) or not r.size


def _sim_key(sim: Simulation) -> tuple[object, ...]:
    return (sim.dialect, sim.kernel, sim.cmdline.text, id(sim.firmware))


def _profiles(results: Sequence[HostResult]) -> list[_Profile]:
    """Hosts grouped by hardware profile, each profile's distinct simulations in first-seen
    order; the profiles with the most to look at first."""
    found: dict[str, _Profile] = {}
    sims: dict[tuple[str, tuple[object, ...]], _SimView] = {}
    for r in results:
        if r.simulation is None:
            continue
        key = r.profile or f"host:{r.host}"
        prof = found.get(key)
        if prof is None:
            prof = found[key] = _Profile(key, r.simulation.firmware)
        prof.hosts.append(r.host)
        if r.hardware:
            prof.hardware[r.hardware] = prof.hardware.get(r.hardware, 0) + 1
        prof.worst = max(prof.worst, *(rank(f.severity) for f in r.findings), 0)
        skey = (key, _sim_key(r.simulation))
        view = sims.get(skey)
        if view is None:
            view = sims[skey] = _SimView(r.simulation)
            prof.sims.append(view)
        view.hosts.append(r.host)
    return sorted(found.values(), key=lambda p: tuple(-x for x in p.trouble()))


def _moved(prof: _Profile) -> dict[str, dict[int, list[str]]]:
    """Region names placed at more than one address across the profile's hosts."""
    where: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for v in prof.sims:
        for r in v.sim.regions:
            if r.name is not None and r.status == PLACED and r.start is not None:
                where[r.name][r.start].extend(v.hosts)
    return {name: dict(at) for name, at in where.items() if len(at) > 1}


def _marks(sim: Simulation, moved: dict[str, dict[int, list[str]]]) -> tuple[html_map.Mark, ...]:
    clashing = {id(o.region) for o in overlaps(sim)} | {
        id(o.other) for o in overlaps(sim) if o.other is not None
    }
    marks = []
    for r in sim.regions:
        if _not_placed(r):
            continue
        assert r.start is not None
        name = r.name if r.name is not None else "(unnamed)"
        note = "" if r.status == PLACED else r.status
        if id(r) in clashing:
            kind = html_map.OVERLAP
            note = "shares memory with another reservation"
        elif r.name in moved:
            kind = html_map.MOVED
            others = [f"{a:#x} on {_few(h, 3)}" for a, h in moved[r.name].items() if a != r.start]
            note = "elsewhere: " + "; ".join(others)
        elif r.status == PLACED:
            kind = html_map.PLACED
        else:
            kind = html_map.OTHER
        marks.append(html_map.Mark(name, r.start, r.size, kind, r.approximate, note))
    return tuple(marks)


def _few(items: Sequence[str], limit: int = _HOST_LIMIT) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" +{len(items) - limit} more" if len(items) > limit else "")


def _host_chips(hosts: Sequence[str]) -> str:
    chips = "".join(
        f'<button type="button" class="chip" data-host="{escape(h)}">{escape(h)}</button>'
        for h in hosts[:_HOST_LIMIT]
    )
    more = len(hosts) - _HOST_LIMIT
    return chips + (f'<span class="more">+{more} more</span>' if more > 0 else "")


def _profile_html(prof: _Profile, n: int, story_open: bool) -> str:
    moved = _moved(prof)
    views = [html_map.View("firmware map", prof.firmware)]
    for v in prof.sims:
        title = "after the command line"
        entries = () if v.sim.panic else v.sim.table
        dropped = () if v.sim.panic else html_map.dropped_ram(v.sim.firmware, v.sim.table)
        views.append(html_map.View(title, entries, _marks(v.sim, moved), dropped))
    scale = html_map.Scale(views)
    badges = _badges(prof, moved)
    out = [
        f'<section class="profile" id="profile-{n}">',
        f'<h3 title="{escape(_tooltip(prof))}">{escape(prof.title())} '
        f"<small>{len(prof.hosts)} host(s), "
        f"{len(prof.firmware)} firmware entries</small>{badges}</h3>",
        f'<div class="hosts">{_host_chips(prof.hosts)}</div>',
        '<div class="views">',
        '<figure class="view"><figcaption><b>Firmware map</b> (BIOS-e820)</figcaption>',
        html_map.draw(views[0], scale, f"{n}-fw"),
        "</figure>",
    ]
    for i, (v, view) in enumerate(zip(prof.sims, views[1:], strict=True)):
        out.append(_sim_figure(v, view, scale, f"{n}-{i}", story_open))
    out.append("</div></section>")
    return "\n".join(out)


def _tooltip(prof: _Profile) -> str:
    if prof.key.startswith("host:"):
        return "no firmware map digest"
    return f"firmware map digest {prof.key}"


def _badges(prof: _Profile, moved: dict[str, dict[int, list[str]]]) -> str:
    nofit = sum(1 for v in prof.sims for r in v.sim.regions if _not_placed(r))
    clash = sum(len(overlaps(v.sim)) for v in prof.sims)
    panic = sum(1 for v in prof.sims if v.sim.panic)
    out = []
    if panic:
        out.append(f'<span class="badge b-error">{panic} boot(s) panic</span>')
    if nofit:
        out.append(f'<span class="badge b-error">{nofit} not placed</span>')
    if clash:
        out.append(f'<span class="badge b-error">{clash} overlap(s)</span>')
    if moved:
        out.append(f'<span class="badge b-warning">{len(moved)} region(s) move</span>')
    return "".join(out)


def _sim_figure(
    v: _SimView, view: html_map.View, scale: html_map.Scale, uid: str, story: bool
) -> str:
    sim = v.sim
    kernel = f"{sim.kernel}, " if sim.kernel else ""
    out = [
        '<figure class="view"><figcaption><b>After the command line</b> '
        f"({escape(kernel)}{escape(sim.dialect)} dialect) on "
        f"{len(v.hosts)} host(s): {escape(_few(v.hosts, 6))}"
        f'<code class="cmdline">{escape(sim.cmdline.text) or "(empty command line)"}</code>'
        "</figcaption>"
    ]
    if sim.panic:
        out.append(
            f'<div class="panic">Kernel panic - not syncing: {escape(sim.panic)}<br>'
            "The boot stops here: there is no memory map.</div>"
        )
    else:
        out.append(html_map.draw(view, scale, uid))
    missing = [r for r in sim.regions if _not_placed(r)]
    if missing:
        out.append('<ul class="notplaced">')
        for r in missing:
            name = r.name if r.name is not None else "(unnamed)"
            what = f"{r.param.name}={r.text}" if r.kind == "memmap-wildcard" else r.param.raw
            note = f": {r.note}" if r.note else ""
            out.append(
                f"<li><b>✖ {escape(name)}</b> · {escape(human(r.size))} · {escape(r.status)} "
                f"<code>{escape(what)}</code>{escape(note)}</li>"
            )
        out.append("</ul>")
    if sim.events:
        flag = " open" if story else ""
        out.append(f"<details{flag}><summary>What the kernel does, step by step</summary><ol>")
        for ev in sim.events:
            shown = ev.text
            if ev.param is not None and ev.text != ev.param.raw:
                shown = f"{ev.param.name}={ev.text}"
            out.append(
                f'<li class="ev-{escape(ev.level)}"><code>{escape(shown)}</code> '
                f"{escape(ev.message)}</li>"
            )
        out.append("</ol></details>")
    out.append("</figure>")
    return "".join(out)


def _legend() -> str:
    keys = "".join(
        f'<span class="key"><i class="sw {cls}"></i>{escape(text)}</span>'
        for cls, text in html_map.legend_rows()
    )
    return f'<div class="legend"><div class="keys">{keys}</div><p>{escape(html_map.scale_note())}</p></div>'


def _finding_row(f: Finding, groups: Sequence[str]) -> str:
    loc = str(f.location) if f.location else ""
    group_text = ", ".join(groups)
    return (
        f'<tr data-severity="{escape(f.severity)}" data-code="{escape(f.code)}" '
        f'data-host="{escape(f.host)}" data-groups="{escape(" ".join(groups))}">'
        f'<td data-v="{rank(f.severity)}"><span class="sev s-{escape(f.severity)}">'
        f"{escape(f.severity)}</span></td>"
        f'<td title="{escape(f.name)}">{escape(f.code)}<br><small>{escape(f.name)}</small></td>'
        f"<td>{escape(f.host)}</td><td>{escape(group_text)}</td>"
        f"<td><code>{escape(f.param)}</code></td><td><small>{escape(loc)}</small></td>"
        f"<td>{escape(f.message)}</td></tr>"
    )


def _options(values: Iterable[str], everything: str) -> str:
    opts = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)
    return f'<option value="">{escape(everything)}</option>{opts}'


def _findings_html(results: Sequence[HostResult]) -> Iterable[str]:
    groups = sorted({g for r in results for g in r.groups})
    codes = sorted({f.code for r in results for f in r.findings})
    yield '<section id="findings"><h2>Findings</h2><div class="filters">'
    yield '<label>Host <input id="f-host" type="search" placeholder="name contains"></label>'
    yield f'<label>Group <select id="f-group">{_options(groups, "all groups")}</select></label>'
    yield f'<label>Code <select id="f-code">{_options(codes, "all codes")}</select></label>'
    yield (
        f'<label>Severity <select id="f-severity">{_options(SEVERITIES, "all")}</select></label>'
        '<span id="f-count"></span></div>'
    )
    yield '<table id="findings-table"><thead><tr>'
    for i, head in enumerate(("severity", "code", "host", "group", "parameter", "location")):
        yield f'<th data-col="{i}" tabindex="0">{head}</th>'
    yield '<th data-col="6" tabindex="0">message</th></tr></thead><tbody>'
    for r in results:
        for f in sorted(r.findings, key=Finding.sort_key):
            yield _finding_row(f, r.groups) + "\n"
    yield "</tbody></table></section>"


def _summary_html(results: Sequence[HostResult]) -> str:
    findings = [f for r in results for f in r.findings]
    s = summary(results, findings)
    clean = sum(1 for r in results if not r.findings)
    profiles = len({r.profile or r.host for r in results if r.simulation is not None})
    cards = [
        ("hosts", s["hosts"], ""),
        ("clean", clean, "c-ok"),
        ("errors", s["error"], "c-error" if s["error"] else ""),
        ("warnings", s["warning"], "c-warning" if s["warning"] else ""),
        ("info", s["info"], ""),
        ("hardware profiles", profiles, ""),
    ]
    out = ['<section id="summary"><div class="cards">']
    out += [
        f'<div class="card {cls}"><b>{n}</b><span>{escape(label)}</span></div>'
        for label, n, cls in cards
    ]
    out.append("</div>")
    by_code = Counter((f.code, f.name, f.severity) for f in findings)
    if by_code:
        hosts_by = defaultdict(set)
        for f in findings:
            hosts_by[f.code].add(f.host)
        out.append('<table class="bycode"><thead><tr><th>code</th><th>rule</th><th>severity</th>')
        out.append("<th>findings</th><th>hosts</th></tr></thead><tbody>")
        for (code, name, sev), n in sorted(
            by_code.items(), key=lambda kv: (-rank(kv[0][2]), kv[0][0])
        ):
            out.append(
                f'<tr><td><a href="#findings" data-code="{escape(code)}">{escape(code)}</a></td>'
                f'<td>{escape(name)}</td><td><span class="sev s-{escape(sev)}">{escape(sev)}</span>'
                f"</td><td>{n}</td><td>{len(hosts_by[code])}</td></tr>"
            )
        out.append("</tbody></table>")
    out.append("</section>")
    return "".join(out)


def render_html(
    results: Sequence[HostResult], title: str = "memmap-lint report", story_open: bool = False
) -> Iterable[str]:
    """The page as text chunks. ``story_open`` unfolds each simulation's step-by-step account
    (``simulate`` does, for its one host)."""
    yield '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    yield '<meta name="viewport" content="width=device-width, initial-scale=1">'
    yield (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
    )
    yield f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n"
    yield f"<header><h1>{escape(title)}</h1><p>memmap-lint {escape(__version__)}</p></header>"
    yield _summary_html(results)
    yield from _findings_html(results)
    profiles = _profiles(results)
    yield '<section id="maps"><h2>Memory maps by hardware profile</h2>'
    yield _legend()
    for n, prof in enumerate(profiles):
        yield _profile_html(prof, n, story_open) + "\n"
    nomap = [r.host for r in results if r.simulation is None]
    if nomap:
        yield (
            '<p class="nomap">No memory map (no e820 capture, or it could not be read): '
            f"{_host_chips(nomap)}</p>"
        )
    yield "</section>"
    yield f"<script>{JS}</script></body></html>\n"
