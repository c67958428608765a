"""grub.cfg: GRUB's lexer and expansion, the loader command line, menus and the default entry.

Expectations: GRUB grub-core/script/yylex.l, execute.c (grub-emu 2.06-13+deb12u2 table),
grub-core/lib/cmdline.c (grub_create_loader_cmdline), GRUB sources named per test, and grub-script-check where
installed (marker ``grub``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from memmap_lint.bootconfig import Context, Traced, load_boot_config, parse_boot_text
from memmap_lint.bootconfig.grubscript import create_loader_cmdline

FIX = Path(__file__).parent.parent / "fixtures" / "boot"


def _entry_cfg(args: str, title: str = "Debian GNU/Linux") -> str:
    return (
        f"menuentry '{title}' --class debian $menuentry_id_option 'x' {{\n"
        f"\tlinux\t/vmlinuz root=/dev/sda1 ro {args}\n}}\n"
    )


def _words(args: str, title: str = "Debian GNU/Linux") -> str:
    config = parse_boot_text(_entry_cfg(args, title), "grub-cfg", "grub.cfg")
    assert not config.diagnostics
    (entry,) = config.entries
    prefix = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro "
    assert entry.cmdline.startswith(prefix)
    return entry.cmdline[len(prefix) :]


# GRUB grub-core/script/yylex.l, execute.c, "Results observed in grub-emu 2.06-13+deb12u2".
TABLE_6_2 = [
    ("memmap=4G$12G", "memmap=4GG"),
    ("memmap=4G$0x30000000", "memmap=4Gx30000000"),
    ("memmap=4G$1G", "memmap=4GDebian GNU/LinuxG"),  # two words joined by the loader
    ('"memmap=4G$12G"', "memmap=4GG"),
    ("memmap=4G${12}G", "memmap=4GG"),
    ("memmap=4G\\$12G", "memmap=4G$12G"),
    ("'memmap=4G$12G'", "memmap=4G$12G"),
    ('"memmap=4G\\$12G"', "memmap=4G$12G"),
    ("memmap=4G\\\\$12G", "memmap=4G\\\\G"),  # GRUB word memmap=4G\G, loader doubles the \
    ("memmap=4G#12G", "memmap=4G#12G"),
    ("memmap=4G!12G", "memmap=4G!12G"),
    ("memmap=1G%4G-1+2", "memmap=1G%4G-1+2"),
    ("memmap=100M@2G", "memmap=100M@2G"),
    ("reserve_mem=12M:4096:oops", "reserve_mem=12M:4096:oops"),
]


@pytest.mark.parametrize(("text", "kernel"), TABLE_6_2)
def test_table_6_2(text: str, kernel: str) -> None:
    # Source: GRUB grub-core/script/yylex.l, execute.c table (grub-emu), joined as grub_create_loader_cmdline does.
    assert _words(text) == kernel


def test_title_is_dollar_one_and_split_into_words() -> None:
    # Source: GRUB grub-core/script/yylex.l, execute.c: `$1` is the title, unquoted values split on whitespace.
    config = parse_boot_text(_entry_cfg("memmap=4G$1G"), "grub-cfg", "grub.cfg")
    (entry,) = config.entries
    assert entry.cmdline.endswith("memmap=4GDebian GNU/LinuxG")
    # "Debian" is traced to the title in the menuentry line.
    origin = entry.origin_at(entry.cmdline.index("Debian"))
    assert origin is not None and (origin.line, origin.column) == (1, 12)


def test_quoted_variable_with_space_is_one_word_quoted_by_loader() -> None:
    # Source: grub-core/lib/cmdline.c: a word with a space is wrapped in double quotes, `"` gets
    # a backslash; execute.c: a double-quoted $var is not split.
    cfg = 'set opts="a b"\n' + _entry_cfg('"$opts" c\\"d')
    (entry,) = parse_boot_text(cfg, "grub-cfg").entries
    assert entry.cmdline.endswith(' ro "a b" c\\"d')


def test_loader_drops_whole_words_past_the_buffer() -> None:
    # Source: grub_create_loader_cmdline stops at the first word that does not fit
    # (GRUB grub-core/lib/cmdline.c grub_create_loader_cmdline()); x86 buffer = cmdline_size (2047) + 1.
    words = [Traced.plain("/vmlinuz")] + [Traced.plain("x" * 99) for _ in range(30)]
    line = create_loader_cmdline(words)
    assert len(line.text.text) <= 2047
    assert len(line.text.text) == len("BOOT_IMAGE=/vmlinuz") + 20 * 100
    assert len(line.dropped) == 10


def test_variables_set_before_and_inside_entries() -> None:
    # Source: execute.c: `name=value` with no such command is an assignment; entries run with
    # the global environment; values are not re-expanded (GRUB grub-core/script/yylex.l, execute.c).
    cfg = (
        "set extra='memmap=4G$12G'\n"
        "vt=vt.handoff=7\n"
        "menuentry 'E' {\n  set more=quiet\n  linux /vmlinuz $extra $more $vt\n}\n"
    )
    config = parse_boot_text(cfg, "grub-cfg", "grub.cfg")
    (entry,) = config.entries
    assert entry.cmdline == "BOOT_IMAGE=/vmlinuz memmap=4G$12G quiet vt.handoff=7"
    o = entry.origin_at(entry.cmdline.index("memmap"))
    assert o is not None and (o.line, o.column) == (1, 12)
    assert config.variables["extra"].value == "memmap=4G$12G"


def test_debian_grub_cfg_fixture() -> None:
    # Source: structure of Debian 12 grub-mkconfig output (00_header, 10_linux with submenu and
    # recovery entries); `set default="0"` selects the first top-level entry.
    config = load_boot_config(FIX / "debian12" / "boot" / "grub" / "grub.cfg")
    assert not config.diagnostics
    titles = [e.title for e in config.entries]
    assert titles[0] == "Debian GNU/Linux"
    assert titles[2].endswith("(recovery mode)")
    assert [e.is_default for e in config.entries] == [True, False, False, False]
    first = config.entries[0]
    assert first.cmdline.endswith(" quiet memmap=4GG")
    origin = first.origin_at(first.cmdline.index("memmap"))
    assert origin is not None and origin.line == 118
    assert config.entries[2].kind == "recovery"
    assert "memmap" not in config.entries[2].cmdline
    assert first.id is not None and first.id.startswith("gnulinux-simple-")


def test_default_by_id_path_and_saved_entry() -> None:
    # Source: grub-core/normal/menu.c: default may be an index, a title or an id, `>` descends
    # into submenus; 00_header loads grubenv and uses next_entry/saved_entry.
    text = (FIX / "debian12" / "boot" / "grub" / "grub.cfg").read_text()
    u = "2f9a6c1e-3b7d-4e8a-9c5f-1d2e3f4a5b6c"
    spec = f"gnulinux-advanced-{u}>gnulinux-6.1.0-28-amd64-recovery-{u}"
    env = {"next_entry": Traced.plain(spec)}
    config = parse_boot_text(text, "grub-cfg", "grub.cfg", Context(grubenv=env))
    (default,) = [e for e in config.entries if e.is_default]
    assert default.kind == "recovery"
    by_index = parse_boot_text(
        text.replace('set default="0"', 'set default="1>2"'), "grub-cfg", "grub.cfg"
    )
    (d2,) = [e for e in by_index.entries if e.is_default]
    assert d2.title.endswith("6.1.0-27-amd64")


@pytest.mark.parametrize(
    ("args", "line", "column"),
    [("memmap=4G$", 2, 44), ("memmap=4G$-1", 2, 44), ("'unterminated", 2, 35)],
)
def test_syntax_errors_are_located_and_drop_the_entry(args: str, line: int, column: int) -> None:
    # Source: GRUB grub-core/script/yylex.l, execute.c (`$` + non-variable char rejected by grub-script-check);
    # yylex.l (an unterminated quote reaches end of input).
    config = parse_boot_text(_entry_cfg(args), "grub-cfg", "grub.cfg")
    assert config.entries == ()
    # The first error is the one in the entry; GRUB then also trips over the stray `}`.
    d = config.diagnostics[0]
    assert (d.origin.line, d.origin.column) == (line, column)


def test_later_commands_still_run_after_an_error() -> None:
    # Source: normal/main.c read_config_file: an error in one command does not stop the file.
    cfg = _entry_cfg("memmap=4G$") + "menuentry 'ok' {\n linux /v quiet\n}\n"
    config = parse_boot_text(cfg, "grub-cfg", "grub.cfg")
    assert [e.title for e in config.entries] == ["ok"]
    assert len(config.diagnostics) >= 1


grub_script_check = shutil.which("grub-script-check")


@pytest.mark.grub
@pytest.mark.skipif(grub_script_check is None, reason="needs grub-script-check (grub-common)")
@pytest.mark.parametrize(
    "args",
    [t for t, _ in TABLE_6_2] + ["memmap=4G$", "memmap=4G$-1", "a}b", "x$", "'open", '"open'],
)
def test_diagnostics_agree_with_grub_script_check(args: str, tmp_path: Path) -> None:
    # Source: the real grub-script-check (Debian grub-common) on the same text.
    cfg = _entry_cfg(args)
    f = tmp_path / "grub.cfg"
    f.write_text(cfg)
    assert grub_script_check is not None
    real_ok = subprocess.run([grub_script_check, str(f)], capture_output=True).returncode == 0
    ours_ok = not parse_boot_text(cfg, "grub-cfg").diagnostics
    assert ours_ok == real_ok


@pytest.mark.grub
@pytest.mark.skipif(grub_script_check is None, reason="needs grub-script-check (grub-common)")
def test_fixture_grub_cfg_passes_grub_script_check() -> None:
    # Source: grub-mkconfig only installs files grub-script-check accepts.
    assert grub_script_check is not None
    path = FIX / "debian12" / "boot" / "grub" / "grub.cfg"
    assert subprocess.run([grub_script_check, str(path)]).returncode == 0
