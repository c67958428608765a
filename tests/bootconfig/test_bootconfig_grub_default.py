"""/etc/default/grub through dash, the 10_linux here-doc, GRUB's lexer and the x86 loader.

Expectations: GRUB util/grub-mkconfig.in run by dash (table observed with dash + the real here-doc flow) and
grub-emu 2.06-13+deb12u2, and a real ``dash`` run where it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from grub_mkconfig import real_10_linux
from memmap_lint.bootconfig import load_boot_config, parse_boot_text

FIX = Path(__file__).parent.parent / "fixtures" / "boot"

# GRUB util/grub-mkconfig.in run by dash: /etc/default/grub value -> text in grub.cfg -> what the kernel gets.
TABLE_6_3 = [
    ('"memmap=4G$12G"', "memmap=4G2G", "memmap=4G2G"),
    ('"memmap=4G\\$12G"', "memmap=4G$12G", "memmap=4GG"),
    ('"memmap=4G\\\\$12G"', "memmap=4G\\2G", "memmap=4G2G"),
    ('"memmap=4G\\\\\\$12G"', "memmap=4G\\$12G", "memmap=4G$12G"),
    ("'memmap=4G\\$12G'", "memmap=4G\\$12G", "memmap=4G$12G"),
    ("'memmap=4G$12G'", "memmap=4G$12G", "memmap=4GG"),
    ('"memmap=4G\\\\\\\\\\$12G"', "memmap=4G\\\\$12G", "memmap=4G\\\\G"),
]


def _normal(cfg_text: str) -> str:
    config = parse_boot_text(cfg_text, "grub-default", "etc/default/grub")
    entry = next(e for e in config.entries if e.is_default)
    return entry.cmdline


@pytest.mark.parametrize(("value", "in_grub_cfg", "kernel"), TABLE_6_3)
def test_table_6_3(value: str, in_grub_cfg: str, kernel: str) -> None:
    # Source: GRUB util/grub-mkconfig.in run by dash (observed with dash and the real here-doc flow).
    cmdline = _normal(f"GRUB_CMDLINE_LINUX={value}\n")
    # GRUB re-splits the line into words: the empty GRUB_CMDLINE_LINUX_DEFAULT leaves nothing.
    assert cmdline.endswith(" ro " + kernel)
    assert cmdline.startswith("BOOT_IMAGE=")


@pytest.mark.skipif(shutil.which("dash") is None, reason="needs dash")
@pytest.mark.parametrize(("value", "in_grub_cfg", "kernel"), TABLE_6_3)
def test_shell_layer_matches_real_dash(value: str, in_grub_cfg: str, kernel: str) -> None:
    # Source: a real dash run of the same assignment (what grub-mkconfig's here-doc inserts).
    real = subprocess.run(
        ["dash", "-c", f'X={value}; printf %s "$X"'], capture_output=True, text=True, check=True
    ).stdout
    assert real == in_grub_cfg
    config = parse_boot_text(f"GRUB_CMDLINE_LINUX={value}\n", "grub-default")
    assert config.variables["GRUB_CMDLINE_LINUX"].value == in_grub_cfg


def test_default_advice_is_still_wrong_and_traced() -> None:
    # Source: GRUB util/grub-mkconfig.in run by dash and 6.2 (`$12` empty inside a menu entry).
    text = 'GRUB_CMDLINE_LINUX_DEFAULT="quiet memmap=4G\\$12G"\n'
    config = parse_boot_text(text, "grub-default", "etc/default/grub")
    entry = next(e for e in config.entries if e.is_default)
    assert entry.cmdline.endswith(" quiet memmap=4GG")
    at = entry.cmdline.index("memmap=")
    origin = entry.origin_at(at)
    assert origin is not None
    assert (origin.path, origin.line, origin.column) == ("etc/default/grub", 1, 35)
    assert any("$12" in n and "expanded to ''" in n for n in entry.notes)
    # The trailing "G" comes from the character after "12" in the file.
    last = entry.origin_at(len(entry.cmdline) - 1)
    assert last is not None and last.column == text.index("12G") + 3


def test_recovery_gets_linux_but_not_default() -> None:
    # Source: Debian 10_linux: recovery args are "${GRUB_CMDLINE_LINUX_RECOVERY} ${GRUB_CMDLINE_LINUX}"
    # with GRUB_CMDLINE_LINUX_RECOVERY=single (GRUB util/grub-mkconfig.in, util/grub.d/10_linux.in).
    config = parse_boot_text(
        'GRUB_CMDLINE_LINUX="a=1"\nGRUB_CMDLINE_LINUX_DEFAULT="quiet b=2"\n', "grub-default"
    )
    kinds = {e.kind for e in config.entries}
    assert kinds == {"normal", "recovery"}
    for e in config.entries:
        if e.kind == "recovery":
            assert e.cmdline.endswith(" ro single a=1")
        else:
            assert e.cmdline.endswith(" ro a=1 quiet b=2")


def test_disable_recovery_only_when_exactly_true() -> None:
    # Source: 10_linux `if [ "x${GRUB_DISABLE_RECOVERY}" != "xtrue" ]` (GRUB util/grub-mkconfig.in, util/grub.d/10_linux.in).
    on = parse_boot_text('GRUB_DISABLE_RECOVERY="true"\n', "grub-default")
    assert all(e.kind != "recovery" for e in on.entries)
    yes = parse_boot_text("GRUB_DISABLE_RECOVERY=yes\n", "grub-default")
    assert any(e.kind == "recovery" for e in yes.entries)


def test_dropin_replaces_default_and_history_is_kept() -> None:
    # Source: grub-mkconfig sources /etc/default/grub then grub.d/*.cfg in glob order
    # (GRUB util/grub-mkconfig.in, util/grub.d/10_linux.in); Ubuntu cloud images ship 50-cloudimg-settings.cfg.
    config = load_boot_config(FIX / "ubuntu-cloud" / "etc" / "default" / "grub")
    assert [Path(p).name for p in config.paths] == [
        "grub",
        "50-cloudimg-settings.cfg",
        "init-select.cfg",
    ]
    a = config.variables["GRUB_CMDLINE_LINUX_DEFAULT"]
    assert a.value == "console=tty1 console=ttyS0"
    assert a.origin.path.endswith("50-cloudimg-settings.cfg") and a.origin.line == 11
    assert a.previous is not None and "reserve_mem=12M:4096:oops" in a.previous.value
    assert a.previous.origin.line == 10
    default = next(e for e in config.entries if e.is_default)
    assert "reserve_mem" not in default.cmdline
    assert default.cmdline.endswith(" ro console=tty1 console=ttyS0")


def test_debian_fixture_line_and_column() -> None:
    # Source: the fixture's line 9 `GRUB_CMDLINE_LINUX_DEFAULT="quiet memmap=4G\$12G"`.
    config = load_boot_config(FIX / "debian12" / "etc" / "default" / "grub")
    entry = next(e for e in config.entries if e.is_default)
    origin = entry.origin_at(entry.cmdline.index("memmap"))
    assert origin is not None and (origin.line, origin.column) == (9, 35)
    assert entry.cmdline.endswith("console=ttyS0,115200n8 quiet memmap=4GG")


def test_expansion_of_earlier_variables_and_continuations() -> None:
    # Source: POSIX sh assignment semantics (checked against dash below).
    text = (
        'BASE="memmap=12M\\\\\\$4G"\n'
        'export GRUB_CMDLINE_LINUX="$BASE \\\n  quiet" # comment\n'
        "GRUB_CMDLINE_LINUX_DEFAULT=${UNSET:-x=1}${BASE:+ y=2}\n"
    )
    config = parse_boot_text(text, "grub-default", "g")
    assert config.variables["GRUB_CMDLINE_LINUX"].value == "memmap=12M\\$4G   quiet"
    assert config.variables["GRUB_CMDLINE_LINUX_DEFAULT"].value == "x=1 y=2"
    entry = next(e for e in config.entries if e.is_default)
    assert entry.cmdline.endswith(" ro memmap=12M$4G quiet x=1 y=2")
    # `memmap` came from line 1, where BASE was written.
    origin = entry.origin_at(entry.cmdline.index("memmap"))
    assert origin is not None and (origin.line, origin.column) == (1, 7)
    if shutil.which("dash"):
        script = text + 'printf "%s|%s" "$GRUB_CMDLINE_LINUX" "$GRUB_CMDLINE_LINUX_DEFAULT"'
        out = subprocess.run(["dash", "-c", script], capture_output=True, text=True).stdout
        assert out == "memmap=12M\\$4G   quiet|x=1 y=2"


def test_unterminated_quote_is_a_located_diagnostic() -> None:
    # Source: dash "Syntax error: Unterminated quoted string" (grub-mkconfig then fails).
    config = parse_boot_text('GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="quiet\n', "grub-default", "g")
    assert len(config.diagnostics) == 1
    d = config.diagnostics[0]
    assert "Unterminated" in d.message
    assert (d.origin.line, d.origin.column) == (2, 20)


def test_dollar_that_breaks_grub_script_check() -> None:
    # Source: GRUB grub-core/script/yylex.l, execute.c: `memmap=4G$` fails grub-script-check; grub-mkconfig
    # refuses to install the generated grub.cfg (6.1).
    config = parse_boot_text("GRUB_CMDLINE_LINUX='memmap=4G$'\n", "grub-default", "g")
    assert config.diagnostics
    d = config.diagnostics[0]
    assert "grub-mkconfig refuses" in d.message
    assert (d.origin.path, d.origin.line, d.origin.column) == ("g", 1, 30)


def test_grub_default_saved_and_title() -> None:
    # Source: 00_header writes set default="${GRUB_DEFAULT}"; `saved` -> ${saved_entry}.
    config = parse_boot_text(
        "GRUB_DEFAULT='Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux "
        "VERSION (recovery mode)'\nGRUB_DISTRIBUTOR=Debian\n",
        "grub-default",
    )
    default = next(e for e in config.entries if e.is_default)
    assert default.kind == "recovery"
    saved = parse_boot_text("GRUB_DEFAULT=saved\n", "grub-default")
    first = next(e for e in saved.entries if e.is_default)
    assert first.title == "GNU/Linux"
    assert any("saved_entry" in n for n in first.notes)


SPLIT = 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="memmap=16G!4G,\n4G!20G"\n'


def test_split_value_is_an_error_showing_what_the_kernel_gets(tmp_path: Path) -> None:
    # Source: the real 10_linux run on the file: the line break reaches grub.cfg and the
    # `linux` command ends there; GRUB parses the rest as a command of its own.
    defaults = tmp_path / "grub"
    defaults.write_text(SPLIT)
    real_cfg = real_10_linux(defaults)
    assert "ro memmap=16G!4G,\n4G!20G" in real_cfg
    if shutil.which("grub-script-check"):
        # grub-mkconfig installs it: grub-script-check accepts the text.
        check = subprocess.run(["grub-script-check"], input=real_cfg, text=True)
        assert check.returncode == 0
    real = parse_boot_text(real_cfg, "grub-cfg", "grub.cfg")
    model = parse_boot_text(SPLIT, "grub-default", "etc/default/grub")
    real_tails = sorted(e.cmdline.split(" ro ", 1)[1] for e in real.entries)
    model_tails = sorted(e.cmdline.split(" ro ", 1)[1] for e in model.entries)
    assert (
        real_tails == model_tails == ["memmap=16G!4G,", "memmap=16G!4G,", "single memmap=16G!4G,"]
    )
    [d] = model.diagnostics
    assert d.severity == "error"
    assert (d.origin.line, d.origin.column) == (2, 35)
    assert "the kernel receives only 'memmap=16G!4G,'" in d.message
    assert "GRUB runs '4G!20G' as a command" in d.message
    assert d.message.endswith('Write it on one line: GRUB_CMDLINE_LINUX="memmap=16G!4G,4G!20G"')


def test_continued_value_is_not_split() -> None:
    # Source: dash removes backslash-newline inside double quotes: one line reaches grub.cfg.
    config = parse_boot_text('GRUB_CMDLINE_LINUX="memmap=16G!4G,\\\n4G!20G"\n', "grub-default")
    assert not config.diagnostics
    default = next(e for e in config.entries if e.is_default)
    assert default.cmdline.endswith(" ro memmap=16G!4G,4G!20G")
