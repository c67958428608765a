"""Fixes on generated /etc/default/grub and grub.cfg files (hypothesis).

Whatever the text, planning fixes never raises; every applied fix reads back as it promised
(the edited files parsed again give each entry the promised command line); and a safe fix never
changes what the kernel does beyond its finding: the removals of dead consumer parameters leave
the simulated e820 table and regions of every entry, and every ramoops setting (and whether a
module load would refuse one), exactly as they were.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memmap_lint.bootconfig import load_boot_config
from memmap_lint.captures.parse import load_capture
from memmap_lint.engine.config import Config
from memmap_lint.engine.fixes import plan_paths
from memmap_lint.engine.lint import Linter
from memmap_lint.engine.registry import load_rules
from memmap_lint.fix import SAFE
from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.consumers import RAMOOPS_PARAMS, ramoops_value, read_ramoops
from memmap_lint.kernel.release import kernel_for
from memmap_lint.kernel.simulate import simulate

CAPTURE = load_capture(str(Path(__file__).parent.parent / "fixtures" / "e820" / "asus-f2a85-m-7g.txt"))
LINTER = Linter(load_rules([]), Config())
WORDS = st.sampled_from(
    [
        "quiet",
        "memmap=4G$12G",
        "memmap=4G\\$12G",
        "memmap=4G\\\\\\$12G",
        "memmap=1G$0x100000000,64M$5G",
        "memmap=12M*4096:oops",
        "reserve_mem=8M:4096:oops",
        "reserve_mem=8M:4096:oops",
        "reserve_mem=4M:4096:pstore_oops_buffer",
        "ramoops.mem_name=oops",
        "ramoops.mem_name=pstore_oops_buffer",
        "ramoops.record_size=0x4000",
        "ramoops.record_size=0x8000",
        "ramoops.record_size=1M",
        "ramoops.mem_name",
        "trace_instance=boot@oops",
        "'memmap=2G$8G'",
        '"memmap=2G$8G"',
        "\n  ",
        "--",
    ]
)
KERNELS = st.sampled_from(["6.1.0-28-amd64", "6.12.0-1-amd64"])


def _ramoops(cmdline: str) -> tuple[object, ...]:
    """What ramoops ends up with, and whether any occurrence is refused (a module load fails)."""
    line = parse(cmdline)
    numbers = tuple(ramoops_value(line, f) for f, (t, _d) in RAMOOPS_PARAMS.items() if t != "charp")
    name = line.last("ramoops.mem_name")
    refused = any(
        read_ramoops(p).value is None
        for p in line.params
        if p.key.startswith("ramoops.") and p.key != "ramoops.mem_name"
    )
    return numbers, name.value if name else None, refused


def _tables(cmdline: str, release: str) -> tuple[object, ...]:
    sim = simulate(CAPTURE.entries, cmdline, kernel_for(release), CAPTURE.setup_data)
    # A removed duplicate was a rejected region (the defect): compare what is placed.
    placed = tuple((r.name, r.start, r.size) for r in sim.regions if r.status == "placed")
    return (sim.table, placed)


def _grub_cfg(release: str, args: str) -> str:
    return (
        "set default=0\n"
        f"menuentry 'Debian GNU/Linux' {{\n\tlinux\t/boot/vmlinuz-{release} root=/dev/sda1 ro "
        f"{args}\n}}\n"
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.lists(WORDS, max_size=7), release=KERNELS, kind=st.sampled_from(["default", "cfg"]))
def test_fixes_never_raise_and_safe_ones_keep_the_kernel_outcome(
    tmp_path: Path, words: list[str], release: str, kind: str
) -> None:
    args = " ".join(words)
    if kind == "default":
        path = tmp_path / "etc" / "default" / "grub"
        text = f'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="{args}"\nGRUB_CMDLINE_LINUX=""\n'
    else:
        path = tmp_path / "boot" / "grub" / "grub.cfg"
        text = _grub_cfg(release, args.replace("\n", " "))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    planned, errors = plan_paths(LINTER, [str(path)], None, True)
    assert not errors
    [p] = planned
    before = {e.title: e.cmdline for e in load_boot_config(path).entries}
    for fix in p.outcome.applied:
        assert fix.edits and fix.changes
    for path_, after in p.outcome.after.items():
        Path(path_).write_text(after)
    again = {e.title: e.cmdline for e in load_boot_config(path).entries}
    assert again.keys() == before.keys()
    # The removals of dead parameters (an earlier ramoops.*, a repeated reserve_mem=) change
    # nothing the kernel does; the other fixes change exactly their finding's effect.
    removals = [
        f for f in p.outcome.applied if f.applicability == SAFE and f.title.startswith("remove ")
    ]
    if removals and len(removals) == len(p.outcome.applied):
        for title, line in before.items():
            assert _tables(line, release) == _tables(again[title], release), title
            assert _ramoops(line) == _ramoops(again[title]), title
