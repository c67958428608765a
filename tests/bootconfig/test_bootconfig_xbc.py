"""The kernel's bootconfig, read as lib/bootconfig.c reads it, checked against the real tool.

``bootconfig`` is the kernel's tools/bootconfig (built from Debian's linux-source by
.ci/install-bootfiles.sh); it compiles the kernel's own lib/bootconfig.c, so its listing (``-l``)
and its parse errors are the kernel's. Where bootconfig's ``kernel.*`` keys go and which are
ignored: Linux 6.1 init/main.c (setup_boot_config, setup_command_line, parse_early_param).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from memmap_lint.bootconfig import load_boot_config, parse_boot_text
from memmap_lint.bootconfig.xbc import XbcError, initrd_bootconfig, leaves, parse_xbc

FIX = Path(__file__).parent.parent / "fixtures" / "boot" / "bootconfig"

GOOD = [
    "kernel.memmap = 12M$4G\n",
    'kernel {\n  reserve_mem = 12M:4096:oops\n  ramoops.mem_name = "oops"\n}\ninit.x = 1\n',
    "a.b = 1, 2 # c\na.b += 3\na.c\n",
    "a = 1\na := 2, 3\n",
    "x { y = 'q w'; z = 2 }\nx.y2 = \"sp ace\" # comment\n",
    "key = # comment\n  value\n",
    "a = 1\na.b = 2\n",
    "k = v   ",
    "kernel.trace_instance = boot_map@oops,foo\nkernel.quiet\n",
]

BAD = [
    "a = 1\na = 2\n",
    'a = "x\ny',
    "a { b = 1\n",
    "}",
    "a = 'x' y\n",
    "a..b = 1\n",
    "# only a comment\n",
    "a + 1\n",
    "a = \x01\n",
]


def _tool() -> str:
    exe = shutil.which("bootconfig")
    if exe is None:
        pytest.skip("needs the kernel's tools/bootconfig (.ci/install-bootfiles.sh)")
    return exe


def _listing(text: str) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        key, _, values = line.partition(" = ")
        out.append((key, [a or b for a, b in re.findall(r'"([^"]*)"|\'([^\']*)\'', values)]))
    return out


@pytest.mark.parametrize("text", GOOD)
def test_tree_matches_the_real_tool(tmp_path: Path, text: str) -> None:
    f = tmp_path / "c.bconf"
    f.write_text(text)
    real = subprocess.run([_tool(), "-l", str(f)], capture_output=True, text=True, check=True)
    ours = [
        (name, [v for v, _ in node.values or [("", 0)]]) for name, node in leaves(parse_xbc(text))
    ]
    assert ours == _listing(real.stdout)


@pytest.mark.parametrize("text", BAD)
def test_errors_match_the_real_tool(tmp_path: Path, text: str) -> None:
    f = tmp_path / "c.bconf"
    f.write_text(text)
    real = subprocess.run([_tool(), str(f)], capture_output=True, text=True)
    assert real.returncode != 0
    m = re.search(r"Parse Error: (.*) at (\d+):(\d+)", real.stderr)
    assert m is not None, real.stderr
    with pytest.raises(XbcError) as err:
        parse_xbc(text)
    assert err.value.message == m.group(1)
    config = parse_boot_text(text, "bootconfig", "c.bconf")
    [d] = config.diagnostics
    assert (d.origin.line, d.origin.column) == (int(m.group(2)), int(m.group(3)))


def test_cmdline_holds_only_what_takes_effect() -> None:
    config = load_boot_config(FIX / "memmap.bconf")
    [entry] = config.entries
    # xbc_snprint_cmdline order and form; memmap= (early) is not applied; init.* is not kernel's.
    assert entry.cmdline == (
        "reserve_mem=12M:4096:oops ramoops.mem_name=oops trace_instance=boot_map@oops"
    )
    origin = entry.origin_at(entry.cmdline.index("12M"))
    assert origin is not None and (origin.line, origin.column) == (4, 17)
    assert config.variables["kernel.memmap"].value == "12M$0x100000000"


def test_initrd_trailer_as_the_tool_writes_it(tmp_path: Path) -> None:
    initrd = tmp_path / "initrd.img-6.12.9-amd64"
    initrd.write_bytes(b"\x1f\x8b" + bytes(5000))  # any image; the kernel looks at its end only
    subprocess.run(
        [_tool(), "-a", str(FIX / "memmap.bconf"), str(initrd)], check=True, capture_output=True
    )
    found = initrd_bootconfig(initrd.read_bytes())
    assert found is not None
    assert found[0].rstrip(b"\0").decode() == (FIX / "memmap.bconf").read_text()
    from_file = load_boot_config(FIX / "memmap.bconf").entries[0]
    [entry] = load_boot_config(initrd).entries
    assert entry.cmdline == from_file.cmdline
    assert entry.title == f"{initrd}#bootconfig"
    # GRUB may pad the initrd to 4 bytes: the kernel looks 3 bytes further back too.
    initrd.write_bytes(initrd.read_bytes() + b"\0\0\0")
    assert load_boot_config(initrd).entries[0].cmdline == from_file.cmdline
    # A corrupted byte: the checksum fails and the kernel ignores the bootconfig.
    data = bytearray(initrd.read_bytes())
    data[data.index(b"reserve_mem")] ^= 1
    initrd.write_bytes(bytes(data))
    config = load_boot_config(initrd)
    assert not config.entries and "checksum failed" in config.diagnostics[0].message


def test_memmap_lint_on_an_initrd(tmp_path: Path) -> None:
    initrd = tmp_path / "initrd.img"
    initrd.write_bytes(bytes(4096))
    subprocess.run(
        [_tool(), "-a", str(FIX / "memmap.bconf"), str(initrd)], check=True, capture_output=True
    )
    p = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "lint", "--format", "json", str(initrd)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert p.returncode == 1, p.stderr
    data = json.loads(p.stdout)
    [f] = [f for f in data["findings"] if f["code"] == "MM507"]
    assert (f["path"], f["line"], f["column"]) == (f"{initrd}#bootconfig", 3, 3)


def test_values_with_spaces_are_quoted_as_the_kernel_prints_them() -> None:
    # xbc_snprint_cmdline: a value holding whitespace in double quotes, a key without a value
    # bare, arrays as one key=value per element, in tree order (the first place a key was set).
    config = parse_boot_text(
        'kernel.a = "x y"\nkernel.quiet\nkernel.b = 1, 2\nkernel.a2 = z\n', "bootconfig", "c"
    )
    [entry] = config.entries
    assert entry.cmdline == 'a="x y" quiet b=1 b=2 a2=z'
