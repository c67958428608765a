"""The pure parts of collection: the framed output parser, next-kernel logic, target resolution.

The framing is ours (linter/collect/script.py); GRUB's default/saved_entry/next_entry order follows
grub-core/normal/menu.c and the grub.cfg that grub-mkconfig's 00_header writes; ssh_config
precedence follows ssh(1) (command-line options win over the config file).
"""

from __future__ import annotations

import base64
import contextlib
from pathlib import Path

import paramiko
import pytest
from hypothesis import given
from hypothesis import strategies as st
from memmap_lint.collect.facts import HostFacts
from memmap_lint.collect.nextkernel import next_kernel
from memmap_lint.collect.script import (
    REMOTE_COMMAND,
    GarbageOutput,
    parse_output,
    remote_script,
)
from memmap_lint.collect.target import resolve_target
from memmap_lint.errors import LintError


def _section(key: str, data: bytes) -> str:
    return f"F {key}\n{base64.encodebytes(data).decode()}.\n"


def _output(*sections: str) -> bytes:
    body = "".join(sections)
    return f"memmap-lint-facts 1\n{body}memmap-lint-facts end\n".encode()


GOOD = _output(
    _section("uname-r", b"6.1.0-28-amd64\n"),
    _section("uname-m", b"x86_64\n"),
    _section("/proc/cmdline", b"ro quiet\n"),
    _section("memmap", b"10 0x100000 0x1fffff Reserved\n0 0x0 0x9fbff System RAM\n"),
    "M /etc/default/grub\n",
    _section("boot-kernels", b"6.1.0-28-amd64\n"),
)


def test_parses_the_framed_format() -> None:
    facts = parse_output(GOOD, "h:22", "2026-05-09T07:35:25Z")
    assert (facts.kernel_release, facts.arch, facts.proc_cmdline) == (
        "6.1.0-28-amd64",
        "x86_64",
        "ro quiet",
    )
    # sorted by numeric index, as /sys/firmware/memmap/N is numbered (10 after 0, not before)
    assert [e.index for e in facts.memmap] == [0, 10]
    assert facts.memmap[1].end == 0x1FFFFF and facts.memmap[1].type == "Reserved"
    assert facts.next_kernel == "6.1.0-28-amd64"
    assert HostFacts.from_dict(facts.to_dict()) == facts


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"hello\n",
        GOOD.replace(b"memmap-lint-facts end\n", b""),
        GOOD + b"trailing\n",
        GOOD.replace(b"F uname-m", b"F /etc/shadow"),
        GOOD.replace(b"F uname-m", b"F uname-r"),
        GOOD.replace(b"F uname-m", b"F uname-\xff"),
        _output(
            _section("uname-r", b"x\n"),
            _section("uname-m", b"y\n"),
            _section("/proc/cmdline", b""),
            _section("memmap", b"0 0x0 0x9fbff System\x01RAM\n"),
        ),
        _output(_section("uname-r", b"x\n"), _section("uname-m", b"y\n")),
        _output(
            _section("uname-r", b"x\n"),
            _section("uname-m", b"y\n"),
            _section("/proc/cmdline", b""),
            _section("memmap", b"0 0x10 0x0 System RAM\n"),
        ),
    ],
)
def test_garbage_is_refused(raw: bytes) -> None:
    with pytest.raises(GarbageOutput):
        parse_output(raw, "h:22", "t")


@given(st.binary(max_size=400))
def test_any_bytes_give_facts_or_garbage(raw: bytes) -> None:
    with contextlib.suppress(GarbageOutput):
        parse_output(raw, "h:22", "t")


@given(st.lists(st.text(alphabet="FMDW .=/abcdeu-rm\n0x1", max_size=30), max_size=8))
def test_any_section_soup_gives_facts_or_garbage(parts: list[str]) -> None:
    with contextlib.suppress(GarbageOutput):
        parse_output(_output(*parts), "h:22", "t")


def test_remote_command_is_fixed() -> None:
    assert REMOTE_COMMAND == "sh -s"
    assert remote_script(True) != remote_script(False)
    assert remote_script(True).startswith("MMLINT_SUDO=1\n")


def test_next_kernel_order() -> None:
    cfg = (
        'set default="${saved_entry}"\n'
        "menuentry 'Debian' $menuentry_id_option 'simple' {\n  linux /vmlinuz-6.12.11-amd64 ro\n}\n"
        "submenu 'Advanced' $menuentry_id_option 'adv' {\n"
        "  menuentry 'old' $menuentry_id_option 'old-id' {\n  linux /vmlinuz-6.1.0-28-amd64\n  }\n}\n"
    )
    files = {"/boot/grub/grub.cfg": cfg, "/boot/grub/grubenv": "saved_entry=adv>old-id\n"}
    assert next_kernel(files, (), "r")[0] == "6.1.0-28-amd64"
    files["/boot/grub/grubenv"] = "saved_entry=adv>old-id\nnext_entry=simple\n"
    assert next_kernel(files, (), "r") == (
        "6.12.11-amd64",
        "grubenv next_entry: menuentry 'Debian'",
    )
    # no saved default in use: grub.cfg's entry 0
    plain = {"/boot/grub/grub.cfg": cfg.replace('"${saved_entry}"', '"0"')}
    assert next_kernel(plain, (), "r")[0] == "6.12.11-amd64"
    assert next_kernel({}, ("5.10.0-9-amd64", "5.10.0-10-amd64"), "r") == (
        "5.10.0-10-amd64",
        "newest /boot/vmlinuz-*",
    )
    assert next_kernel({}, (), "6.0.0") == ("6.0.0", "running kernel (no boot entry found)")


def test_resolve_target_merges_ssh_config(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "Host db-*\n  HostName 127.0.0.1\n  Port 2200\n  User ops\n  IdentityFile ~/.ssh/db\n"
        "  ProxyJump bastion\n  ConnectTimeout 4\n"
    )
    parsed = paramiko.SSHConfig.from_path(str(config))
    t = resolve_target("db-01", {}, parsed)
    assert (t.host, t.port, t.user, t.proxy_jump, t.connect_timeout) == (
        "127.0.0.1", 2200, "ops", "bastion", 4.0,
    )  # fmt: skip
    # inventory variables win, and ansible_host is what the config is matched against
    t = resolve_target(
        "web", {"ansible_host": "db-9", "ansible_port": 22, "ansible_user": "root",
                "ansible_ssh_private_key_file": "/k", "ansible_become": True}, parsed,
    )  # fmt: skip
    assert (t.name, t.port, t.user, t.key_files[0], t.sudo) == ("web", 22, "root", "/k", True)
    assert resolve_target("db-1", {"memmap_lint_sudo": False, "ansible_become": True}).sudo is False
    with pytest.raises(LintError) as err:
        resolve_target("x", {"ansible_port": "twenty"})
    assert err.value.code == "MM604"
