"""Write into every rule case (tests/rules/cases/*.yaml) where its findings point: ``at:``.

Runs each case through the real pipeline (tests/rules/test_rule_cases.py ``findings_of``) and writes
``at: [...]`` (``memmap_lint.testing.where`` of each finding, in report order) after the case's
``fires:`` line, replacing the ``at:`` it had. Review the diff before committing it: the runner
then asserts these locations. Usage: ``python tools/rule_case_locations.py [CODE...]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import test_rule_cases as t  # noqa: E402


def locations(code: str, case: dict[str, object]) -> list[str]:
    fleet = t.RULES[code].scope == "fleet"
    return [t.where(f, t.FIXTURES, fleet) for f in t.findings_of(code, case)]


def rewrite(file: Path) -> None:
    code = file.stem
    cases = yaml.safe_load(file.read_text()) or []
    lines = file.read_text().splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("- id:")]
    assert len(starts) == len(cases), f"{file}: one '- id:' line per case"
    out: list[str] = []
    bounds = [*starts, len(lines)]
    out.extend(lines[: starts[0]] if starts else lines)
    for n, case in enumerate(cases):
        block = [line for line in lines[bounds[n] : bounds[n + 1]] if not line.startswith("  at:")]
        at = locations(code, case)
        if at:
            fires = next(i for i, line in enumerate(block) if line.startswith("  fires:"))
            block.insert(fires + 1, f"  at: {json.dumps(at)}\n")
        out.extend(block)
    file.write_text("".join(out))


def main(codes: list[str]) -> None:
    for file in sorted(t.CASES.glob("*.yaml")):
        if not codes or file.stem in codes:
            rewrite(file)


if __name__ == "__main__":
    main(sys.argv[1:])
