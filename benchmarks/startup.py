"""Benchmark: how long memmap-lint takes to start, against ``python -c pass``.

Runs, each in a fresh process and interleaved so that drift hits every row alike:

- ``python -c pass`` (the floor: starting the interpreter);
- ``memmap-lint --version`` and ``memmap-lint --help``;
- a one-file boot lint, as pre-commit runs it on a changed ``/etc/default/grub``
  (``memmap-lint lint --ignore MM602 FILE``, the hook's arguments).

It prints the best wall time of each and its ratio to ``python -c pass``, then the modules that
cost most to import in the boot lint (``python -X importtime``, cumulative, top-level packages).
Targets: ``--version`` and ``--help`` at most 5x, the boot lint at most 10x. Not a test:
``python benchmarks/startup.py`` (``--repeat 20``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRUB = ROOT / "tests" / "fixtures" / "bootlint" / "good" / "etc" / "default" / "grub"
CLI = [sys.executable, "-m", "memmap_lint.cli.main"]

#: (label, argv, target ratio to ``python -c pass``)
CASES: tuple[tuple[str, list[str], float | None], ...] = (
    ("python -c pass", [sys.executable, "-c", "pass"], None),
    ("memmap-lint --version", [*CLI, "--version"], 5.0),
    ("memmap-lint --help", [*CLI, "--help"], 5.0),
    ("boot lint (pre-commit)", [*CLI, "lint", "--ignore", "MM602", str(GRUB)], 10.0),
)


def once(argv: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return seconds


def import_costs(argv: list[str], top: int) -> list[tuple[int, str]]:
    """The ``top`` costliest imports of ``argv`` (cumulative microseconds, module), nested
    modules folded into the first module of theirs that the run imported."""
    proc = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]], capture_output=True, text=True, check=False
    )
    rows: list[tuple[int, int, str]] = []  # (depth, cumulative, name)
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        depth = (len(name) - len(name.lstrip())) // 2
        rows.append((depth, int(cumulative), name.strip()))
    # importtime prints a module after the modules it imported: depth 0 rows are top level
    # imports of the program; report those and their direct children (depth 1).
    out = [(us, name) for depth, us, name in rows if depth <= 1]
    return sorted(out, reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs of each (best is shown)")
    parser.add_argument("--top", type=int, default=15, help="costliest imports to list")
    args = parser.parse_args()
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        for label, argv, _target in CASES:
            best[label] = min(best.get(label, float("inf")), once(argv))
    floor = best[CASES[0][0]]
    width = max(len(label) for label, _, _ in CASES)
    print(f"{'command'.ljust(width)}  {'ms':>6}  {'ratio':>6}  target")
    failed = False
    for label, _, target in CASES:
        ratio = best[label] / floor
        verdict = (
            "" if target is None else f"<= {target:.0f}x " + ("ok" if ratio <= target else "MISSED")
        )
        failed |= target is not None and ratio > target
        print(f"{label.ljust(width)}  {best[label] * 1000:6.1f}  {ratio:5.1f}x  {verdict}")
    print("\nCostliest imports of the boot lint (cumulative ms, python -X importtime):")
    for us, name in import_costs(CASES[3][1], args.top):
        print(f"  {us / 1000:7.1f}  {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
