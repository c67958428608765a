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

Bytecode is stated, not inherited: the targets are judged with compiled bytecode cached, as an
installed tool runs (pip compiles a wheel's modules when it installs them; pre-commit installs
the hook with pip). The children get their own ``PYTHONPYCACHEPREFIX`` (a temporary folder, so
the checkout is not written) and never ``PYTHONDONTWRITEBYTECODE``, whatever the caller's
environment says; one run of each warms the cache. A second table, for information, runs with
no bytecode cache at all, the standard library included (every start compiles every module).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
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


def child_env(prefix: str, cached: bool) -> dict[str, str]:
    """The environment of a measured run: bytecode cached under ``prefix``, or (``cached``
    false) an empty ``prefix`` that is never written, so every import compiles its source."""
    drop = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPYCACHEPREFIX"] = prefix
    if not cached:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def once(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=env
    )
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return seconds


def import_costs(argv: list[str], top: int, env: dict[str, str]) -> list[tuple[int, str]]:
    """The ``top`` costliest imports of ``argv`` (cumulative microseconds, module), nested
    modules folded into the first module of theirs that the run imported."""
    proc = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]],
        capture_output=True,
        text=True,
        check=False,
        env=env,
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


def measure(repeat: int, env: dict[str, str]) -> dict[str, float]:
    """Best wall time of each case, the cases interleaved."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        for label, argv, _target in CASES:
            best[label] = min(best.get(label, float("inf")), once(argv, env))
    return best


def table(best: dict[str, float], judged: bool) -> bool:
    """Print one table; True when a judged target is missed."""
    floor = best[CASES[0][0]]
    width = max(len(label) for label, _, _ in CASES)
    print(f"{'command'.ljust(width)}  {'ms':>6}  {'ratio':>6}  target")
    failed = False
    for label, _, target in CASES:
        ratio = best[label] / floor
        verdict = ""
        if target is not None and judged:
            verdict = f"<= {target:.0f}x " + ("ok" if ratio <= target else "MISSED")
            failed |= ratio > target
        print(f"{label.ljust(width)}  {best[label] * 1000:6.1f}  {ratio:5.1f}x  {verdict}")
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs of each (best is shown)")
    parser.add_argument("--top", type=int, default=15, help="costliest imports to list")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="memmap-lint-pycache-") as cache:
        cached = child_env(os.path.join(cache, "cached"), cached=True)
        cold = child_env(os.path.join(cache, "cold"), cached=False)
        for _label, argv, _target in CASES:  # warm the bytecode cache
            once(argv, cached)
        print("Bytecode cached (an installed tool; the targets):")
        failed = table(measure(args.repeat, cached), judged=True)
        print(
            "\nNo bytecode cache at all, the standard library included (every start compiles; information):"
        )
        table(measure(max(3, args.repeat // 3), cold), judged=False)
        print(
            "\nCostliest imports of the boot lint, bytecode cached (cumulative ms, -X importtime):"
        )
        for us, name in import_costs(CASES[3][1], args.top, cached):
            print(f"  {us / 1000:7.1f}  {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
