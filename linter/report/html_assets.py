"""The HTML report's inline stylesheet and script (no framework, nothing fetched).

The script sorts the findings table by a clicked column, filters it by host, group, code and
severity, lets a host chip or a code in the summary set the filter, and marks the page with
``data-report-ready="1"`` once it has run (tests read that from the rendered DOM).
"""

from __future__ import annotations

CSS = """
:root { --fg:#1f2328; --mute:#59636e; --line:#d1d9e0; --bg:#f6f8fa;
  --err:#b91c1c; --warn:#b45309; --info:#1d4ed8; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  color: var(--fg); margin: 0; padding: 0 24px 40px; }
header { display:flex; align-items: baseline; gap: 16px; border-bottom: 1px solid var(--line); }
header h1 { font-size: 22px; margin: 16px 0 10px; }
header p { color: var(--mute); margin: 0; }
h2 { font-size: 18px; margin: 26px 0 10px; }
h3 { font-size: 15px; margin: 0 0 6px; display:flex; flex-wrap: wrap; gap: 8px; align-items: center; }
h3 small { color: var(--mute); font-weight: normal; }
code { font: 12px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; }
.cards { display:flex; flex-wrap: wrap; gap: 10px; margin: 16px 0; }
.card { border:1px solid var(--line); border-radius: 8px; padding: 8px 16px; min-width: 110px;
  background: var(--bg); }
.card b { display:block; font-size: 24px; }
.card span { color: var(--mute); }
.c-error { border-color: var(--err); background:#fef2f2; } .c-error b { color: var(--err); }
.c-warning { border-color: var(--warn); background:#fffbeb; } .c-warning b { color: var(--warn); }
.c-ok b { color: #15803d; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
  vertical-align: top; }
th { background: var(--bg); position: sticky; top: 0; cursor: pointer; user-select: none;
  white-space: nowrap; }
th.asc::after { content: " \\25B2"; } th.desc::after { content: " \\25BC"; }
table.bycode { width: auto; margin-bottom: 8px; }
#findings-table td:nth-child(7) { max-width: 640px; }
#findings-table td:nth-child(5) code { white-space: nowrap; }
.sev { font-weight: 600; padding: 1px 7px; border-radius: 10px; font-size: 12px; color:#fff; }
.s-error { background: var(--err); } .s-warning { background: var(--warn); }
.s-info { background: var(--info); }
.filters { display:flex; flex-wrap: wrap; gap: 14px; align-items: center; margin: 6px 0 10px; }
.filters input, .filters select { font: inherit; padding: 3px 6px; margin-left: 4px; }
#f-count { color: var(--mute); }
tr[hidden] { display: none; }
.legend { border:1px solid var(--line); border-radius: 8px; padding: 8px 12px; background: var(--bg);
  margin-bottom: 16px; }
.legend p { margin: 6px 0 0; color: var(--mute); max-width: 1100px; }
.keys { display:flex; flex-wrap: wrap; gap: 6px 16px; }
.key { display:inline-flex; align-items:center; gap: 6px; }
.sw { display:inline-block; width: 18px; height: 12px; border:1px solid #8c959f; }
.profile { border:1px solid var(--line); border-radius: 8px; padding: 12px; margin: 0 0 18px; }
.hosts { margin: 0 0 8px; }
.chip { font: 12px system-ui, sans-serif; border:1px solid var(--line); background:#fff;
  border-radius: 10px; padding: 1px 8px; margin: 2px 3px 2px 0; cursor: pointer; }
.chip:hover { background: #eef2ff; }
.more { color: var(--mute); font-size: 12px; }
.badge { font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px; color:#fff; }
.b-error { background: var(--err); } .b-warning { background: var(--warn); }
.views { display:flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.view { margin: 0; }
figcaption { font-size: 13px; margin-bottom: 4px; width: 430px; height: 84px; overflow-y: auto; }
.cmdline { display:block; background: var(--bg); border:1px solid var(--line); padding: 3px 6px;
  margin-top: 3px; word-break: break-all; }
.panic { border:2px solid var(--err); background:#fef2f2; color: var(--err); padding: 10px;
  font-weight: 600; width: 430px; }
.notplaced { list-style: none; padding: 6px 10px; margin: 6px 0; border: 2px solid var(--err);
  background: #fef2f2; border-radius: 6px; max-width: 430px; }
.notplaced li { color: var(--err); margin: 2px 0; }
details { max-width: 430px; margin-top: 6px; font-size: 12.5px; }
details ol { padding-left: 22px; }
.ev-error { color: var(--err); } .ev-warning { color: var(--warn); }
svg.map text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: var(--fg); }
svg.map text.ax { font: 10px ui-monospace, "DejaVu Sans Mono", monospace; fill: var(--mute); }
svg.map text.ml { font-weight: 700; }
svg.map .tick, svg.map .lead { stroke: #8c959f; stroke-width: 1; fill: none; }
.e { stroke: #fff; stroke-width: 0.6; }
.t-ram { fill: #bfe3c4; background: #bfe3c4; }
.t-res { fill: #d0d7de; background: #d0d7de; }
.t-acpi { fill: #b6d4f2; background: #b6d4f2; }
.t-nvs { fill: #d8c9f0; background: #d8c9f0; }
.t-pmem { fill: #f5dca0; background: #f5dca0; }
.t-bad { fill: #f0b4b4; background: #f0b4b4; }
.t-soft { fill: #e4e4c0; background: #e4e4c0; }
.t-other { fill: #e7e7e7; background: #e7e7e7; }
.mark { stroke-width: 2; }
.k-placed { fill: #2563eb; stroke: #1e3a8a; background: #2563eb; }
.k-other { fill: #6b7280; stroke: #374151; background: #6b7280; }
.k-overlap { fill: #dc2626; stroke: #7f1d1d; stroke-width: 3; background: #dc2626; }
.k-moved { fill: #f59e0b; stroke: #92400e; stroke-width: 3; background: #f59e0b; }
.m-drop { background: repeating-linear-gradient(45deg, #dc2626 0 3px, #fde2e2 3px 7px); }
svg.map text.m-placed { fill: #1e3a8a; }
svg.map text.m-other { fill: #374151; }
svg.map text.m-overlap { fill: #b91c1c; }
svg.map text.m-moved { fill: #92400e; }
svg.map text.m-drop { fill: #b91c1c; }
.nomap { color: var(--mute); }
"""

JS = """
(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var host = document.getElementById("f-host");
  var group = document.getElementById("f-group");
  var code = document.getElementById("f-code");
  var sev = document.getElementById("f-severity");
  var count = document.getElementById("f-count");
  function apply() {
    var h = host.value.toLowerCase(), shown = 0;
    rows.forEach(function (r) {
      var d = r.dataset;
      var ok = (!h || d.host.toLowerCase().indexOf(h) >= 0) &&
        (!group.value || d.groups.split(" ").indexOf(group.value) >= 0) &&
        (!code.value || d.code === code.value) &&
        (!sev.value || d.severity === sev.value);
      r.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " finding(s) shown";
  }
  [host, group, code, sev].forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  function cellKey(r, col) {
    var c = r.cells[col];
    return c.hasAttribute("data-v") ? Number(c.getAttribute("data-v")) : c.textContent;
  }
  function sortBy(th) {
    var col = Number(th.getAttribute("data-col"));
    var asc = !th.classList.contains("asc");
    heads.forEach(function (x) { x.classList.remove("asc", "desc"); });
    th.classList.add(asc ? "asc" : "desc");
    rows.sort(function (a, b) {
      var x = cellKey(a, col), y = cellKey(b, col);
      var c = typeof x === "number" ? x - y : String(x).localeCompare(String(y), undefined,
        {numeric: true});
      return asc ? c : -c;
    });
    rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
  }
  heads.forEach(function (th) {
    th.addEventListener("click", function () { sortBy(th); });
    th.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th); }
    });
  });
  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target.closest("[data-host].chip, a[data-code]") : null;
    if (!t) { return; }
    if (t.classList.contains("chip")) {
      host.value = t.getAttribute("data-host");
      code.value = "";
    } else {
      code.value = t.getAttribute("data-code");
      host.value = "";
    }
    group.value = ""; sev.value = "";
    apply();
    document.getElementById("findings").scrollIntoView();
    e.preventDefault();
  });
  apply();
  document.documentElement.setAttribute("data-report-ready", "1");
})();
"""
