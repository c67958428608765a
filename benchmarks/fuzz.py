"""Fuzz every parser and the whole lint path for N minutes; print inputs tried and crashes.

A crash is any exception other than the tool's own located errors (LintError, LintErrors,
PatternError, argparse's SystemExit): what a user would see as a traceback, or since the guard
as "internal error". Inputs are the repository's real fixtures mutated (bytes flipped, cut,
repeated, spliced with hostile tokens: deep nesting, aliases, huge numbers, NUL, surrogates,
bidi and control characters) plus generated text. Each entry point gets an equal share of the
time; the slowest input per entry point is reported per KiB, so a superlinear parser shows.

    python benchmarks/fuzz.py --minutes 10 [--seed 1] [--show 3]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import pkgutil
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

HOSTILE = [
    "[" * 3000,
    "{a: " * 1000,
    "9" * 5000,
    "0x" + "f" * 3000,
    "\x00",
    "\udcff",
    "\u202e",
    "\x1b[2J",
    "\xa0",
    "&a [x,x,x,x,x,x,x,x,x]",
    "*a",
    "!!python/object:os.system",
    "if true; then\n" * 500,
    "submenu x {\n" * 400,
    "fi\n" * 500,
    "}" * 50,
    "memmap=" + "9" * 400 + "M*4096:x ",
    "reserve_mem=1G:4096:x ",
    "h[0:99999999999999999999]",
    "h" + "[0:0]" * 300,
    "$(",
    "${",
    "'",
    '"',
    "\\",
    "\n",
    "\r\n",
    ":",
    "---\n",
    "...\n",
    "%",
    "@revoked ",
    ";touch x",
]


@dataclass
class Stats:
    tried: int = 0
    crashes: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    slowest: float = 0.0  # seconds per KiB (inputs of at least 1 KiB)
    slowest_input: bytes = b""


def seeds(*globs: str) -> list[bytes]:
    out: list[bytes] = []
    for pattern in globs:
        for path in sorted(FIXTURES.glob(pattern)):
            if path.is_file() and path.stat().st_size < 512 * 1024:
                out.append(path.read_bytes())
    return out or [b""]


def mutate(rng: random.Random, data: bytes) -> bytes:
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(7)
        at = rng.randint(0, len(data))
        if kind == 0 and data:
            i = rng.randrange(len(data))
            data = data[:i] + bytes([rng.randrange(256)]) + data[i + 1 :]
        elif kind == 1:
            token = rng.choice(HOSTILE).encode("utf-8", "surrogatepass")
            data = data[:at] + token + data[at:]
        elif kind == 2:
            data = data[: rng.randint(0, len(data))]
        elif kind == 3 and data:
            i = rng.randrange(len(data))
            piece = data[i : i + rng.randint(1, 200)]
            data = data[:at] + piece * rng.randint(2, 50) + data[at:]
        elif kind == 4:
            data = data[:at] + os.urandom(rng.randint(1, 16)) + data[at:]
        elif kind == 5 and data:
            lines = data.split(b"\n")
            i = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[i])
            data = b"\n".join(lines)
        else:
            data = data[:at] + rng.choice(HOSTILE).encode("utf-8", "surrogatepass") * 3 + data[at:]
    return data


def text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def entry_points(work: Path) -> dict[str, tuple[list[bytes], Callable[[bytes], object]]]:
    from memmap_lint.bootconfig import parse_boot_text
    from memmap_lint.captures.parse import parse_capture
    from memmap_lint.cli.main import main
    from memmap_lint.collect.target import resolve_target
    from memmap_lint.engine.config import load_config
    from memmap_lint.inventory.hostpattern import expand_hostpattern
    from memmap_lint.kernel.cmdline import parse as parse_cmdline
    from memmap_lint.kernel.sizes import memparse

    cli = main.__wrapped__  # type: ignore[attr-defined]  # the unguarded main: crashes surface
    capture = work / "cap.txt"
    capture.write_bytes((ROOT / "inventory" / "captures" / "azure-gen2-vm-56g.txt").read_bytes())

    def run_cli(*args: str) -> None:
        quiet = contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO())
        with quiet[0], quiet[1], contextlib.suppress(SystemExit):
            cli(list(args))

    def file_cli(name: str, *args: str) -> Callable[[bytes], object]:
        def call(data: bytes) -> None:
            (work / name).write_bytes(data)
            run_cli(str(work / name), *args)

        return call

    def config(name: str) -> Callable[[bytes], object]:
        def call(data: bytes) -> None:
            (work / name).write_bytes(data)
            load_config(work / name)

        return call

    inventory = (ROOT / "inventory" / "prod.yaml").read_bytes()
    host = b'all:\n  hosts:\n    h1:\n      e820: cap.txt\n      kernel_cmdline: "%s"\n'
    cmdlines = [
        b"ro quiet memmap=12M*4096:oops ramoops.mem_name=oops",
        b"reserve_mem=64M:4096:trace trace_instance=boot@trace mem=4G memmap=1G$4G",
    ]
    boot_kinds = {
        "grub-cfg": "boot/*/grub.cfg",
        "grub-default": "boot/*/default/grub",
        "bls": "boot/*/loader/entries/*.conf",
        "grubenv": "boot/*/grubenv",
    }
    out: dict[str, tuple[list[bytes], Callable[[bytes], object]]] = {
        "sizes.memparse": ([b"12M", b"0x1E", b"4096", b"1G"], lambda d: memparse(text(d))),
        "kernel.cmdline": (cmdlines, lambda d: parse_cmdline(text(d))),
        "captures.parse": (seeds("e820/*"), lambda d: parse_capture(text(d), "f")),
        "hostpattern": (
            [b"web[01:10]", b"h[a:z]:22", b"[::1]:2"],
            lambda d: expand_hostpattern(text(d)),
        ),
        "ssh target": (
            [b"db-01", b"10.0.0.1", b"x;y"],
            lambda d: resolve_target(text(d), {"ansible_host": text(d)}),
        ),
        "config toml": (
            [
                (ROOT / "pyproject.toml").read_bytes()[:2000]
                + b"\n[tool.memmap-lint]\nfail-on='error'\n[tool.memmap-lint.thresholds]\n"
                b"headroom='64M'\n"
            ],
            config("c.toml"),
        ),
        "config yaml": (
            [b"select: [MM1]\nthresholds: {headroom: 64M}\nfail-on: error\n"],
            config("c.yaml"),
        ),
        "inventory yaml (lint)": ([inventory, host % cmdlines[0]], file_cli("i.yaml")),
        "inventory ini (lint)": (
            [b"[db]\nh[1:3] e820=cap.txt kernel_cmdline='ro'\n[db:vars]\nkernel='6.1.0'\n"],
            file_cli("i.ini"),
        ),
        "inventory json (lint)": (
            [b'{"all": {"hosts": {"h1": {"e820": "cap.txt"}}}}'],
            file_cli("i.json"),
        ),
        "simulate (cli)": (
            cmdlines,
            lambda d: run_cli("simulate", "--e820", str(capture), "--cmdline", text(d)),
        ),
    }
    for kind, pattern in boot_kinds.items():
        out[f"boot {kind}"] = (
            seeds(pattern),
            lambda d, k=kind: parse_boot_text(text(d), k, "boot"),
        )
    for fmt in ("sarif", "junit", "html"):
        out[f"lint --format {fmt}"] = ([host % cmdlines[0]], file_cli("f.yaml", "--format", fmt))
    return out


def import_everything() -> None:
    """Import every module now, so that a long run tests one version of the code even if the
    working tree changes meanwhile (reports, for one, are imported lazily)."""
    import memmap_lint
    import memmap_lint.rules

    for package in (memmap_lint, memmap_lint.rules):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("__main__"):  # that one runs the command line
                importlib.import_module(info.name)


def expected_errors() -> tuple[type[BaseException], ...]:
    from memmap_lint.errors import LintError, LintErrors
    from memmap_lint.inventory.hostpattern import PatternError

    return (LintError, LintErrors, PatternError)


def site(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    inner = frames[-1] if frames else None
    where = f"{Path(inner.filename).name}:{inner.lineno}" if inner else "?"
    return f"{type(exc).__name__} at {where}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=3, help="crash sites shown per entry point")
    parser.add_argument("--only", default="", help="entry points whose name contains this")
    parser.add_argument("--save", metavar="DIR", help="write each crash site's first input here")
    args = parser.parse_args()
    import_everything()
    rng = random.Random(args.seed)
    ok = expected_errors()
    with tempfile.TemporaryDirectory(prefix="memmap-lint-fuzz-") as tmp:
        work = Path(tmp)
        os.chdir(work)
        points = {k: v for k, v in entry_points(work).items() if args.only in k}
        stats = {name: Stats() for name in points}
        share = args.minutes * 60 / len(points)
        for name, (corpus, call) in points.items():
            st = stats[name]
            deadline = time.monotonic() + share
            while time.monotonic() < deadline:
                data = mutate(rng, rng.choice(corpus))
                started = time.perf_counter()
                try:
                    call(data)
                except ok:
                    pass
                except Exception as exc:  # a crash: record its site once
                    key = site(exc)
                    count, _, sample = st.crashes.get(key, (0, "", data))
                    st.crashes[key] = (count + 1, key, sample if count else data)
                elapsed = time.perf_counter() - started
                st.tried += 1
                if len(data) >= 1024 and elapsed / (len(data) / 1024) > st.slowest:
                    st.slowest, st.slowest_input = elapsed / (len(data) / 1024), data
            print(
                f"{name:26} {st.tried:9,} inputs  {sum(c for c, _, _ in st.crashes.values()):6,}"
                f" crashes at {len(st.crashes):3} sites  slowest {st.slowest * 1000:8.2f} ms/KiB",
                flush=True,
            )
            for count, key, sample in sorted(st.crashes.values(), reverse=True)[: args.show]:
                print(f"    {count:6} x {key}: {sample[:120]!r}", flush=True)
            if args.save:
                for n, (_, _site, sample) in enumerate(st.crashes.values()):
                    out = Path(args.save) / f"{name.replace(' ', '_')}-{n}.bin"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(sample)
    total = sum(s.tried for s in stats.values())
    crashes = sum(sum(c for c, _, _ in s.crashes.values()) for s in stats.values())
    sites = sum(len(s.crashes) for s in stats.values())
    print(
        f"total: {total:,} inputs over {len(stats)} entry points, {crashes:,} crashes at {sites} sites"
    )
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
