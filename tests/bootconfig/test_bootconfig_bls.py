"""BLS entries, grubenv, /etc/kernel/cmdline, /proc/cmdline, kind detection, and fuzzing.

Expectations: rhboot/grub2 grub-core/commands/blscfg.c (read_entry, create_entry, expand_val at
commit 770e0757, vercmp), GRUB blscfg expand_val(), grub-core/lib/envblk.c, grubenv files written by the real
grub-editenv (the rhel8 fixture was created with it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from memmap_lint.bootconfig import (
    KINDS,
    Context,
    Traced,
    detect_kind,
    grubenv_values,
    load_boot_config,
    parse_boot_text,
)
from memmap_lint.bootconfig.bls import expand_val, vercmp
from memmap_lint.errors import LintError

FIX = Path(__file__).parent.parent / "fixtures" / "boot"
RHEL = FIX / "rhel8" / "boot"


def test_rhel8_kernelopts_from_grubenv_and_saved_entry() -> None:
    # Source: GRUB blscfg expand_val(), grub-core/lib/envblk.c: `options $kernelopts` is lexed by GRUB at boot; a `$`
    # inside a variable's value is not re-expanded; saved_entry names the BLS id (file stem).
    config = load_boot_config(RHEL / "loader" / "entries")
    assert config.kind == "bls" and not config.diagnostics
    (default,) = [e for e in config.entries if e.is_default]
    assert "513.5.1" in default.title
    assert default.cmdline.startswith("BOOT_IMAGE=(hd0,gpt2)/vmlinuz-4.18.0-513.5.1.el8_9.x86_64 ")
    assert default.cmdline.endswith(" rd.lvm.lv=rhel/swap memmap=4G$12G")
    # memmap= is traced into grubenv, where kernelopts holds it.
    origin = default.origin_at(default.cmdline.index("memmap"))
    assert origin is not None and origin.path.endswith("grubenv") and origin.line == 4
    # The newer blscfg (expand_val) re-lexes the value: `$12` is lost.
    assert any(n.endswith("rhel/swap memmap=4GG") for n in default.notes)
    # Newest version first (vercmp), rescue last.
    assert [e.title.split("(")[1][:9] for e in config.entries] == [
        "4.18.0-51",
        "4.18.0-47",
        "0-rescue-",
    ]


def test_fedora_plain_options_traced_to_entry_file() -> None:
    # Source: blscfg.c create_entry: "linux ($root)<linux> <options>"; Fedora writes options.
    conf = FIX / "fedora" / "boot" / "loader" / "entries"
    config = load_boot_config(sorted(conf.glob("*.conf"))[0])
    assert len(config.entries) == 2
    newest = config.entries[0]
    assert newest.is_default and "6.7.4" in newest.title
    o = newest.origin_at(newest.cmdline.index("reserve_mem"))
    assert o is not None and o.path.endswith("6.7.4-200.fc39.x86_64.conf")
    assert (o.line, o.column) == (5, 92)


def test_options_dollar_in_bls_file() -> None:
    # Source: GRUB blscfg expand_val(), grub-core/lib/envblk.c: `memmap=4G$12G` in options -> GRUB lexer: memmap=4GG;
    # with expand_val -> memmap=4G (variable "12G" unset).
    text = "title T\nlinux /vmlinuz\noptions quiet memmap=4G$12G\n"
    config = parse_boot_text(text, "bls", "loader/entries/t.conf")
    (entry,) = config.entries
    assert entry.cmdline == "BOOT_IMAGE=(hd0,gpt2)/vmlinuz quiet memmap=4GG"
    assert any(n.endswith("quiet memmap=4G") for n in entry.notes)


def test_blank_line_ends_the_entry() -> None:
    # Source: blscfg.c read_entry: a line without separator breaks out of the read loop.
    text = "title T\nlinux /vmlinuz\n\noptions quiet\n"
    config = parse_boot_text(text, "bls", "e.conf")
    assert config.entries[0].cmdline == "BOOT_IMAGE=(hd0,gpt2)/vmlinuz"
    (d,) = config.diagnostics
    assert d.severity == "warning" and d.origin.line == 3


def test_expand_val_bug_for_bug() -> None:
    # Source: blscfg.c expand_val (rhboot 770e0757), traced by hand through the C: a run of one
    # character (literal or variable name) before a `$` or at the end is dropped, since the
    # code only appends when `start != end`.
    env = {"k": Traced.plain("K"), "kk": Traced.plain("KK"), "kernelopts": Traced.plain("ro q")}
    assert expand_val(Traced.plain("$kernelopts $x"), env) == Traced.plain("ro q")
    assert expand_val(Traced.plain("a$k"), env) is None
    assert expand_val(Traced.plain("ab$k"), env) == Traced.plain("ab")
    assert expand_val(Traced.plain("ab$kk x"), env) == Traced.plain("abKK x")
    assert expand_val(Traced.plain("$unset"), env) is None


def test_vercmp() -> None:
    # Source: blscfg.c vercmp (rpm's algorithm).
    assert vercmp("4.18.0-513.5.1.el8_9", "4.18.0-477.27.1.el8_8") == 1
    assert vercmp("1.0~rc1", "1.0") == -1
    assert vercmp("1.01", "1.1") == 0
    assert vercmp("1.0a", "1.0") == 1


def test_grubenv_real_file() -> None:
    # Source: the fixture was written by grub-editenv (1024 bytes, signature, name=value).
    text = (RHEL / "grub2" / "grubenv").read_text()
    assert len(text.encode()) == 1024
    values = grubenv_values(text, "grubenv")
    assert values["saved_entry"].text.endswith("513.5.1.el8_9.x86_64")
    config = load_boot_config(RHEL / "grub2" / "grubenv")
    assert config.kind == "grubenv" and not config.diagnostics
    assert config.variables["kernelopts"].value.endswith("memmap=4G$12G")
    bad = parse_boot_text("saved_entry=x\n", "grubenv", "grubenv")
    assert bad.diagnostics and bad.diagnostics[0].severity == "error"


def test_grubenv_backslash_escape() -> None:
    # Source: GRUB blscfg expand_val(), grub-core/lib/envblk.c: grub-editenv stores `\` as `\\`.
    text = "# GRUB Environment Block\nk=a\\\\b\n"
    assert grubenv_values(text)["k"].text == "a\\b"


def test_kernel_cmdline_and_proc_cmdline() -> None:
    # Source: kernel-install joins /etc/kernel/cmdline with squeezed whitespace
    # (GRUB blscfg expand_val(), grub-core/lib/envblk.c); /proc/cmdline is one line, BOOT_IMAGE= included.
    k = load_boot_config(FIX / "uki" / "etc" / "kernel" / "cmdline")
    (e,) = k.entries
    assert e.cmdline.endswith(" quiet reserve_mem=12M:4096:oops ramoops.mem_name=oops")
    o = e.origin_at(e.cmdline.index("ramoops"))
    assert o is not None and (o.line, o.column) == (2, 27)
    p = load_boot_config(FIX / "captures" / "proc-cmdline", kind="proc-cmdline")
    (pe,) = p.entries
    assert pe.cmdline.startswith("BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 ")
    assert pe.origin_at(0) is not None


def test_detect_kind() -> None:
    # Source: the usual paths of each file (the boot loaders' documentation).
    assert detect_kind("etc/default/grub", "") == "grub-default"
    assert detect_kind("etc/default/grub.d/50-cloudimg-settings.cfg", "") == "grub-default"
    assert detect_kind("boot/grub/grub.cfg", "") == "grub-cfg"
    assert detect_kind("boot/grub2/grubenv", "") == "grubenv"
    assert detect_kind("boot/loader/entries/x.conf", "") == "bls"
    assert detect_kind("etc/kernel/cmdline", "") == "kernel-cmdline"
    assert detect_kind("proc/cmdline", "") == "proc-cmdline"
    assert detect_kind("x", "# GRUB Environment Block\n") == "grubenv"
    assert detect_kind("x", 'GRUB_CMDLINE_LINUX="a"\n') == "grub-default"
    assert detect_kind("x", "hello") is None
    # By name alone, whatever the text; then by what the text holds, whatever the name.
    assert detect_kind("boot\\EFI\\Linux\\arch.EFI", "") == "uki"
    assert detect_kind("etc/bootconfig", "") == detect_kind("b.bconf", "") == "bootconfig"
    assert detect_kind("boot/initrd.img-6.1", "") == "bootconfig"
    assert detect_kind("x", "kernel.foo = 1\n#BOOTCONFIG\n") == "bootconfig"
    assert detect_kind("boot/vmlinuz-6.1", "MZ\x90") is None
    assert detect_kind("x", "menuentry 'a' {\n linux /vmlinuz\n}\n") == "grub-cfg"
    assert detect_kind("x", "BOOT_IMAGE=/vmlinuz ro\n") == "proc-cmdline"
    assert detect_kind("x", "index=0\nkernel=/boot/vmlinuz\n") == "grubby"
    assert detect_kind("x.conf", "title a\nlinux /vmlinuz\n") == "bls"
    assert detect_kind("x.txt", "title a\nlinux /vmlinuz\n") is None


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(KINDS), text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
)
def test_fuzz_any_text_any_kind(kind: str, text: str) -> None:
    # Source: the project's rule: any input gives a result or a clean error, never a traceback.
    # Text is never a PE image: the UKI front end refuses it with a located MM505 (exit 2).
    if kind == "uki":
        with pytest.raises(LintError) as raised:
            parse_boot_text(text, kind, "f")
        assert raised.value.code == "MM505" and (raised.value.line, raised.value.column) == (1, 1)
        return
    config = parse_boot_text(text, kind, "f")
    for e in config.entries:
        for start, end, _origin in e.origins:
            assert 0 <= start < end <= len(e.cmdline)


_GRUBBY = st.text(alphabet="ab$12{}'\"\\ \n#=;G", max_size=60)


@settings(max_examples=300, deadline=None)
@given(value=_GRUBBY)
def test_fuzz_shell_and_grub_syntax(value: str) -> None:
    # Texts made of the characters that matter to sh and GRUB.
    for text in (f'GRUB_CMDLINE_LINUX="{value}"\n', f"GRUB_CMDLINE_LINUX='{value}'\n"):
        parse_boot_text(text, "grub-default", "g")
    parse_boot_text(f"menuentry 'a' {{\n linux /v {value}\n}}\n", "grub-cfg", "g")
    parse_boot_text(f"linux /v\noptions {value}\n", "bls", "e.conf", Context())
