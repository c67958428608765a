"""Nothing from an inventory reaches a shell: host names are checked as OpenSSH 9.6+ checks
them (ssh.c ``valid_hostname``, CVE-2023-51385) before ``~/.ssh/config`` is looked up, since
paramiko runs ``Match exec`` through a shell with ``%h`` substituted.

The config files here are real and paramiko really evaluates their ``Match exec`` lines: a
valid name runs the harmless ``test``, a hostile name must not run its ``touch``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from memmap_lint.collect.target import load_ssh_config, resolve_target, valid_hostname
from memmap_lint.errors import LintError

HOSTILE = [
    "x;touch {m}",
    "x && touch {m}",
    "x|touch {m}",
    "$(touch {m})",
    "`touch {m}`",
    "x\ntouch {m}",
    "-oProxyCommand=touch {m}",
    "x'touch {m}'",
    "x>{m}",
]


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "ssh_config"
    config.write_text(
        'Match exec "test %h = good"\n  HostName 127.0.0.9\n  Port 2222\nHost *\n  User ops\n',
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_ansible_host_never_runs(tmp_path: Path, template: str) -> None:
    marker = tmp_path / "PWNED"
    config = load_ssh_config(str(_config(tmp_path)))
    hostile = template.format(m=marker)
    for vars, name in (({"ansible_host": hostile}, "web-01"), ({}, hostile)):
        with pytest.raises(LintError) as err:
            resolve_target(name, vars, config)
        assert err.value.code == "MM604"
        assert "not a valid host name" in err.value.message
    assert not marker.exists()


def test_valid_names_still_evaluate_match_exec(tmp_path: Path) -> None:
    config = load_ssh_config(str(_config(tmp_path)))
    t = resolve_target("db-01", {"ansible_host": "good"}, config)
    assert (t.host, t.port, t.user) == ("127.0.0.9", 2222, "ops")
    other = resolve_target("db-01", {"ansible_host": "bad"}, config)
    assert (other.host, other.port) == ("bad", 22)


def test_valid_hostname_matches_openssh() -> None:
    for ok in ("db-01", "10.0.0.1", "fe80::1%eth0", "host.example.", "user_x", "é.example"):
        assert valid_hostname(ok), ok
    for bad in ("-x", "a b", "a\tb", "a\x7f", "a\x01", "a,b", "a{b}", "a\\b", 'a"b', "a$b"):
        assert not valid_hostname(bad), bad


def test_explicit_missing_ssh_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LintError) as err:
        load_ssh_config(str(tmp_path / "nonexistent"))
    assert err.value.code == "MM601"
    bad = tmp_path / "latin1"
    bad.write_bytes(b"Host a\n  User caf\xe9\n")
    with pytest.raises(LintError) as err:
        load_ssh_config(str(bad))
    assert (err.value.line, err.value.column) == (2, 11)


def test_default_ssh_config_behind_a_closed_directory_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HOME of another user (``sudo -u`` keeping HOME): checking ``~/.ssh/config`` fails with
    EACCES, which once escaped as a traceback; it is MM601 naming the file."""
    from memmap_lint.collect.defaults import DEFAULT_SSH_CONFIG

    def denied(*args: object, **kwargs: object) -> bool:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(Path, "exists", denied)  # what EACCES on ~/.ssh does, as root
    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(LintError) as info:
        load_ssh_config(DEFAULT_SSH_CONFIG)
    assert info.value.code == "MM601" and "Permission denied" in str(info.value)
    assert str(info.value).startswith(str(tmp_path / ".ssh" / "config"))


def test_collect_refuses_hostile_inventory_end_to_end(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text(
        'Match exec "test %h = x"\n  HostName 127.0.0.1\n', encoding="utf-8"
    )
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(
        f'all:\n  hosts:\n    web-01:\n      ansible_host: "x;touch {marker}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    env["HOME"] = str(home)
    proc = subprocess.run(
        [sys.executable, "-m", "memmap_lint.cli.main", "collect", str(inventory),
         "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"{inventory}:3:5: MM604" in proc.stderr
    assert not marker.exists()
