"""The machine-read report formats: SARIF (against the official OASIS schema and GitHub code
scanning's expectations), JUnit XML, GitHub workflow commands, and the HTML page's structure.

Every report comes from a real `memmap-lint` process over tests/fixtures/report/fleet.yaml,
whose hosts use real captures from tests/fixtures/e820/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from memmap_lint.engine.findings import Finding, Location
from memmap_lint.engine.results import HostResult
from memmap_lint.report.github import render_github

FIX = Path(__file__).parent.parent / "fixtures"
FLEET = FIX / "report" / "fleet.yaml"
SCHEMA = FIX / "sarif" / "sarif-schema-2.1.0.json"
HOSTILE = "<script>alert(1)</script>"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def _fleet_copy(directory: Path, above: str = "") -> Path:
    """fleet.yaml in ``directory`` with its captures beside it and ``above`` inserted as the
    first lines (comments: lines move, nothing else changes)."""
    captures = directory / "captures"
    captures.mkdir(parents=True, exist_ok=True)
    text = FLEET.read_text()
    for name in sorted(set(re.findall(r"\.\./e820/([\w.-]+)", text))):
        shutil.copy(FIX / "e820" / name, captures / name)
    inv = directory / "fleet.yaml"
    inv.write_text(above + text.replace("../e820/", "captures/"))
    return inv


def _sarif(inv: Path, cwd: Path | None = None) -> dict[str, Any]:
    p = run(str(inv), "--format", "sarif", cwd=cwd)
    assert p.returncode == 1, p.stderr  # the fleet has findings
    data: dict[str, Any] = json.loads(p.stdout)
    return data


@pytest.fixture(scope="module")
def sarif() -> dict[str, Any]:
    return _sarif(FLEET)


def test_sarif_validates_against_the_official_schema(sarif: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    # Not check_schema(): the official file's language pattern "^(?i)..." is not a Python
    # regex; it only matters for "language" properties, which memmap-lint does not write.
    validator = jsonschema.Draft202012Validator(schema)
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(sarif)]
    assert errors == []
    # The schema must be able to fail: a result without its required message is rejected.
    broken = json.loads(json.dumps(sarif))
    del broken["runs"][0]["results"][0]["message"]
    assert list(validator.iter_errors(broken))


def test_sarif_results_cover_every_finding(sarif: dict[str, Any]) -> None:
    p = run(str(FLEET), "--format", "json")
    findings = json.loads(p.stdout)["findings"]
    results = sarif["runs"][0]["results"]
    assert len(results) == len(findings) > 0
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for f, r in zip(findings, results, strict=True):
        assert r["ruleId"] == f["code"]
        assert r["level"] == levels[f["severity"]]
        assert r["properties"]["host"] == f["host"]
        region = r["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region.get("startColumn")) == (f["line"], f["column"])


def test_sarif_rules_carry_descriptions_and_markdown_help(sarif: dict[str, Any]) -> None:
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) >= 40
    results = sarif["runs"][0]["results"]
    for r in results:  # ruleIndex points at the result's rule (GitHub reads it)
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    for rule in rules:
        short = rule["shortDescription"]["text"]
        assert short and "\n" not in short and len(short) < 200, rule["id"]
        assert rule["fullDescription"]["text"], rule["id"]
        md = rule["help"]["markdown"]
        assert md.startswith(f"**{rule['id']} {rule['name']}**")
        for section in ("### What it finds", "### Why it matters", "### How to fix"):
            assert section in md, (rule["id"], section)
        # Section bodies are dedented: Markdown would take 4-space lines for code blocks.
        body = md.split("### What it finds\n\n", 1)[1]
        assert not body.startswith(" ")
        assert not re.search(r"\n {4}\S", md.split("### Example", 1)[0]), rule["id"]
    mm301 = next(r for r in rules if r["id"] == "MM301")
    assert mm301["shortDescription"]["text"] == (
        "A named region that the kernel cannot place: nothing is reserved."
    )  # the first line of rules/mm301_region_does_not_fit.py's docstring


def test_sarif_fingerprints_survive_moved_lines(tmp_path: Path) -> None:
    inv = _fleet_copy(tmp_path / "a")
    moved = _fleet_copy(tmp_path / "b", above="# a comment\n# another\n\n")
    one, two = _sarif(inv), _sarif(moved)
    r1, r2 = one["runs"][0]["results"], two["runs"][0]["results"]
    lines1 = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in r1]
    lines2 = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in r2]
    assert [b - a for a, b in zip(lines1, lines2, strict=True)] == [3] * len(r1)
    prints1 = [r["partialFingerprints"] for r in r1]
    assert prints1 == [r["partialFingerprints"] for r in r2]
    # ...and they tell findings apart: one fingerprint per result.
    assert len({p["memmapLint/v1"] for p in prints1}) == len(prints1)


def test_sarif_fingerprint_changes_with_what_it_identifies(tmp_path: Path) -> None:
    inv = _fleet_copy(tmp_path / "a")
    base = {
        (r["properties"]["host"], r["ruleId"]): r["partialFingerprints"]["memmapLint/v1"]
        for r in _sarif(inv)["runs"][0]["results"]
    }
    inv.write_text(inv.read_text().replace("web-01:", "web-99:"))
    renamed = {
        (r["properties"]["host"], r["ruleId"]): r["partialFingerprints"]["memmapLint/v1"]
        for r in _sarif(inv)["runs"][0]["results"]
    }
    assert base[("db-01", "MM302")] == renamed[("db-01", "MM302")]
    assert base[("web-01", "MM301")] != renamed[("web-99", "MM301")]


def test_sarif_uris_are_relative_to_the_repository_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    inv = _fleet_copy(repo / "fleets" / "prod env")
    for cwd in (repo, repo / "fleets", tmp_path):
        data = _sarif(inv.relative_to(cwd) if cwd != tmp_path else inv, cwd=cwd)
        uris = {
            loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in data["runs"][0]["results"]
            for loc in r["locations"]
        }
        # Relative to the root of the git work tree, whatever the working directory, with the
        # space percent-encoded (SARIF's artifactLocation.uri is a URI reference).
        assert uris == {"fleets/prod%20env/fleet.yaml"}, cwd


def test_junit_one_testcase_per_host_failures_for_findings() -> None:
    p = run(str(FLEET), "--format", "junit")
    assert p.returncode == 1, p.stderr
    root = ET.fromstring(p.stdout)
    cases = root.findall("./testsuite/testcase")
    data = json.loads(run(str(FLEET), "--format", "json").stdout)
    hosts = {h["host"]: h["findings"] for h in data["hosts"]}
    assert [c.get("name") for c in cases] == list(hosts)
    assert HOSTILE in hosts  # the XML escaped it and the parser got it back whole
    for case in cases:
        failure = case.find("failure")
        expected = hosts[case.get("name") or ""]
        assert (failure is not None) == bool(expected)
        if failure is not None:
            assert failure.get("message", "").startswith(f"{len(expected)} finding(s): ")
            for f in expected:
                assert f["code"] in (failure.text or "")
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == str(len(hosts))
    assert suite.get("failures") == str(sum(1 for f in hosts.values() if f))


def _github_lines(finding: Finding) -> list[str]:
    return "".join(render_github([HostResult(finding.host, None, (finding,))])).splitlines()


def test_github_escapes_data_and_properties() -> None:
    # Escaping as @actions/core's command.ts does: data escapes % CR LF; properties also : and ,.
    f = Finding(
        "MM305",
        "large-reservation",
        "warning",
        "web,01:a",
        "50% of RAM\nsecond line\r",
        location=Location("inv/a:b,c.yaml", 3, 7),
    )
    (line,) = _github_lines(f)
    assert line == (
        "::warning file=inv/a%3Ab%2Cc.yaml,line=3,col=7,"
        "title=MM305 large-reservation (web%2C01%3Aa)::50%25 of RAM%0Asecond line%0D"
    )


def test_github_levels_and_missing_location() -> None:
    info = Finding("MM409", "persistence-hazard", "info", "h", "msg")
    assert _github_lines(info) == ["::notice title=MM409 persistence-hazard (h)::msg"]
    err = Finding("MM301", "region-does-not-fit", "error", "h", "m", location=Location("x"))
    assert _github_lines(err) == ["::error file=x,title=MM301 region-does-not-fit (h)::m"]


def test_github_report_of_the_fleet_is_one_command_per_finding() -> None:
    p = run(str(FLEET), "--format", "github")
    data = json.loads(run(str(FLEET), "--format", "json").stdout)
    lines = p.stdout.splitlines()
    assert len(lines) == len(data["findings"])
    assert all(re.match(r"::(error|warning|notice) file=[^:]+,line=\d+", ln) for ln in lines)


class _Page(HTMLParser):
    """Collects what the tests look at: scripts, external references, element ids, text."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.external: list[str] = []
        self.ids: set[str] = set()
        self.svgs = 0
        self.text: list[str] = []
        self.rows: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
            if a.get("src"):
                self.external.append(a["src"] or "")
        if tag in ("link", "img", "iframe") or (tag == "a" and "href" in a):
            ref = a.get("href") or a.get("src") or ""
            if not ref.startswith("#"):
                self.external.append(ref)
        if tag == "svg":
            self.svgs += 1
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "tr" and "data-code" in a:
            self.rows.append(a)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def page() -> tuple[str, _Page]:
    p = run(str(FLEET), "--format", "html")
    assert p.returncode == 1, p.stderr
    parsed = _Page()
    parsed.feed(p.stdout)
    return p.stdout, parsed


def test_html_is_self_contained(page: tuple[str, _Page]) -> None:
    html, parsed = page
    assert parsed.external == []
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert parsed.scripts == 1
    assert {"summary", "findings", "findings-table", "maps"} <= parsed.ids


def test_html_escapes_the_inventory(page: tuple[str, _Page]) -> None:
    html, parsed = page
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE in "".join(parsed.text)  # shown to the reader as text
    assert html.count("<script>") == 1  # only the report's own


def test_html_findings_rows_match_the_json_report(page: tuple[str, _Page]) -> None:
    _, parsed = page
    data = json.loads(run(str(FLEET), "--format", "json").stdout)
    got = [(r["data-host"], r["data-code"], r["data-severity"]) for r in parsed.rows]
    assert got == [(f["host"], f["code"], f["severity"]) for f in data["findings"]]
    groups = {r["data-host"]: r["data-groups"] for r in parsed.rows}
    assert groups["db-01"] == "all db"


def test_html_maps_one_section_per_profile_with_its_regions(page: tuple[str, _Page]) -> None:
    html, parsed = page
    # Five distinct captures, so five profiles; each has a firmware picture and one picture per
    # distinct command line (the t630 profile has two; no boot panics here).
    assert html.count('<section class="profile"') == 5
    assert parsed.svgs == 5 + 6
    text = "".join(parsed.text)
    assert "⚠ oops · 12 MiB @ 0x407dcc0000" in text  # overlap (RFC append-only quirk)
    assert "⚠ trace · 12 MiB @ 0x407dcc0000" in text
    assert "⇅ oops · 12 MiB @ 0xfff400000" in text  # moves: mem=64G on cache-02 only
    assert "⇅ oops · 12 MiB @ 0x187f400000" in text
    assert "✖ huge" in text and "no-fit" in text  # does not fit on web-01
    assert "RAM dropped" in text  # the stock kernel reads memmap=12M*... as a limit
    assert "oops · 16 MiB @ ~0x" in text  # reserve_mem: an approximate address
    # The profiles with trouble come first: the overlap's profile opens the list.
    first = html.index('<section class="profile"')
    assert html.index("overlap(s)", first) < html.index('<section class="profile"', first + 1)


def test_simulate_html_draws_the_one_host(tmp_path: Path) -> None:
    capture = FIX / "e820" / "dell-poweredge-r7625-256g.txt"
    out = tmp_path / "sim.html"
    p = run(
        "simulate", "--e820", str(capture), "--dialect", "rfc", "--format", "html",
        "--output", str(out),
        "--cmdline", "memmap=12M*4096:oops memmap=12M*4096:trace ramoops.mem_name=oops",
    )  # fmt: skip
    assert p.returncode == 1, p.stderr
    html = out.read_text()
    parsed = _Page()
    parsed.feed(html)
    assert parsed.svgs == 2 and html.count('<section class="profile"') == 1
    text = "".join(parsed.text)
    assert "dell-poweredge-r7625-256g.txt" in text
    assert "⚠ oops · 12 MiB @ 0x407dcc0000" in text
    assert "<details open>" in html  # the step-by-step account is unfolded
    assert os.path.getsize(out) > 0
