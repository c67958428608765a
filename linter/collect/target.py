"""Where and how to reach a host: inventory variables merged with ``~/.ssh/config``.

Precedence is what Ansible's ssh connection gets from OpenSSH: the config is looked up by
``ansible_host`` (or the inventory name), its ``HostName`` rewrites the address, and
``ansible_port``/``ansible_user``/``ansible_ssh_private_key_file`` given on the command line win
over ``Port``/``User``; the key file is tried before the config's ``IdentityFile`` entries.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
from memmap_lint.collect.defaults import DEFAULT_JOBS, DEFAULT_SSH_CONFIG
from memmap_lint.errors import LintError
from memmap_lint.fileio import read_text

# OpenSSH 9.6 ssh.c valid_hostname() (CVE-2023-51385; misc.c since 9.8 adds ','): a host name
# that starts with '-' or holds one of these, an ASCII space or a control character is refused
# before ~/.ssh/config is read, since its Match exec and %h tokens reach a shell.
_SHELL_META = frozenset("'`\"$\\;&<>|(){},")
_SPACE_OR_CONTROL = frozenset(" \t\n\v\f\r\x7f") | frozenset(map(chr, range(0x20)))


@dataclass(frozen=True)
class SSHTarget:
    """One host to collect from; ``name`` is the inventory name used in every report."""

    name: str
    host: str
    port: int = 22
    user: str | None = None
    key_files: tuple[str, ...] = ()
    proxy_jump: str | None = None
    sudo: bool = False
    connect_timeout: float | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class CollectOptions:
    """Fleet settings: parallelism, time limits, retries, output cap, host key policy."""

    jobs: int = DEFAULT_JOBS
    connect_timeout: float = 10.0
    auth_timeout: float = 15.0
    command_timeout: float = 30.0
    host_timeout: float = 60.0
    retries: int = 2
    backoff: float = 0.5
    max_output: int = 8 * 1024 * 1024
    known_hosts: tuple[str, ...] = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
    system_known_hosts: tuple[str, ...] = (
        "/etc/ssh/ssh_known_hosts",
        "/etc/ssh/ssh_known_hosts2",
    )
    accept_new: bool = False
    ssh_config: str | None = DEFAULT_SSH_CONFIG
    use_agent: bool = True

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise LintError("MM601", f"jobs must be at least 1, not {self.jobs}")
        for name in ("connect_timeout", "auth_timeout", "command_timeout", "host_timeout"):
            if getattr(self, name) <= 0:
                raise LintError("MM601", f"{name} must be positive")
        if self.retries < 0 or self.backoff < 0 or self.max_output < 1:
            raise LintError("MM601", "retries and backoff must be >= 0 and max_output >= 1")


def valid_hostname(name: str) -> bool:
    """Whether OpenSSH 9.6+ would take ``name`` as a host name (ssh.c ``valid_hostname``)."""
    return (
        not name.startswith("-")
        and _SHELL_META.isdisjoint(name)
        and _SPACE_OR_CONTROL.isdisjoint(name)
    )


def checked_hostname(name: str, what: str, host: str) -> str:
    """``name`` when it is a valid host name; else MM604 naming the inventory ``host``."""
    if not name or not valid_hostname(name):
        raise LintError(
            "MM604",
            f"host {host!r}: {what} {name!r} is not a valid host name (OpenSSH refuses shell "
            "metacharacters, spaces, control characters and a leading '-')",
        )
    return name


def load_ssh_config(path: str | None) -> paramiko.SSHConfig:
    """The parsed config at ``path`` (``~`` expanded).

    An empty config when ``path`` is None, or is the default and does not exist; a config
    given explicitly that cannot be read is MM601.
    """
    if path is None:
        return paramiko.SSHConfig()
    expanded = Path(os.path.expanduser(path))
    try:
        missing = path == DEFAULT_SSH_CONFIG and not expanded.exists()
    except OSError:  # ~/.ssh not searchable (HOME of another user): read_text says why, MM601
        missing = False
    if missing:
        return paramiko.SSHConfig()
    text = read_text(expanded, "ssh-config", "MM601")
    try:
        return paramiko.SSHConfig.from_text(text)
    except paramiko.ConfigParseError as exc:
        raise LintError("MM601", f"cannot read SSH config: {exc}", str(expanded)) from None


def _var(vars: Mapping[str, Any], key: str, kind: type, name: str) -> Any:
    value = vars.get(key)
    if value is None:
        return None
    if kind is int and isinstance(value, str) and value.isascii() and value.isdigit():
        if len(value) > 5:
            raise LintError("MM604", f"host {name}: {key} {value[:20]!r}... is out of range")
        value = int(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise LintError("MM604", f"host {name}: {key} must be {kind.__name__}, not {value!r}")
    return value


def _flag(vars: Mapping[str, Any], key: str, name: str) -> bool | None:
    value = vars.get(key)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("yes", "true", "1", "no", "false", "0"):
        return value.lower() in ("yes", "true", "1")
    raise LintError("MM604", f"host {name}: {key} must be a boolean, not {value!r}")


_STDIN_LOCK = threading.Lock()


def _lookup(config: paramiko.SSHConfig | None, alias: str, name: str) -> Any:
    """``config``'s options for ``alias``, a validated host name.

    paramiko runs a ``Match exec`` command through invoke, which copies our standard input to
    it: the command gets an empty one instead, as ``ssh -n`` would give it.
    """
    if config is None:
        return {"hostname": alias}
    with _STDIN_LOCK, open(os.devnull, encoding="utf-8") as empty:
        saved, sys.stdin = sys.stdin, empty
        try:
            return config.lookup(alias)
        except (paramiko.ConfigParseError, ImportError, OSError) as exc:
            raise LintError("MM601", f"host {name}: SSH config lookup failed: {exc}") from None
        finally:
            sys.stdin = saved


def resolve_target(
    name: str, vars: Mapping[str, Any], config: paramiko.SSHConfig | None = None
) -> SSHTarget:
    """The SSHTarget for inventory host ``name`` with variables ``vars``."""
    alias = checked_hostname(
        _var(vars, "ansible_host", str, name) or name,
        "ansible_host" if vars.get("ansible_host") else "name",
        name,
    )
    found = _lookup(config, alias, name)
    port = _var(vars, "ansible_port", int, name)
    if port is None:
        try:
            port = int(found.get("port", 22))
        except ValueError:
            raise LintError("MM601", f"host {name}: bad Port in SSH config") from None
    if not 0 < port < 65536:
        raise LintError("MM604", f"host {name}: port {port} is out of range")
    user = _var(vars, "ansible_user", str, name) or found.get("user")
    keys: list[str] = []
    key = _var(vars, "ansible_ssh_private_key_file", str, name)
    if key:
        keys.append(os.path.expanduser(key))
    keys.extend(os.path.expanduser(k) for k in found.get("identityfile", []))
    sudo = _flag(vars, "memmap_lint_sudo", name)
    if sudo is None:
        sudo = _flag(vars, "ansible_become", name) or False
    timeout: float | None = None
    if "connecttimeout" in found:
        try:
            timeout = float(found["connecttimeout"])
        except ValueError:
            raise LintError("MM601", f"host {name}: bad ConnectTimeout in SSH config") from None
    jump = found.get("proxyjump")
    if jump is not None and jump.lower() == "none":
        jump = None
    return SSHTarget(
        name=name,
        host=found.get("hostname", alias),
        port=port,
        user=user,
        key_files=tuple(dict.fromkeys(keys)),
        proxy_jump=jump,
        sudo=sudo,
        connect_timeout=timeout,
    )


def parse_jump(spec: str, config: paramiko.SSHConfig | None) -> list[SSHTarget]:
    """The hops of a ``ProxyJump`` value (``[user@]host[:port]``, comma separated), first first."""
    hops: list[SSHTarget] = []
    for part in spec.split(","):
        part = part.strip()
        if part.startswith("ssh://"):
            part = part[len("ssh://") :]
        user: str | None = None
        if "@" in part:
            user, _, part = part.rpartition("@")
        port: int | None = None
        if part.startswith("[") and "]" in part:
            host, _, rest = part[1:].partition("]")
            if rest.startswith(":"):
                port = int(rest[1:]) if rest[1:].isdigit() else -1
        elif part.count(":") == 1:
            host, _, p = part.partition(":")
            port = int(p) if p.isdigit() else -1
        else:
            host = part
        if not host or port == -1:
            raise LintError("MM601", f"bad ProxyJump hop {part!r}")
        vars: dict[str, Any] = {}
        if user:
            vars["ansible_user"] = user
        if port is not None:
            vars["ansible_port"] = port
        hop = resolve_target(host, {"ansible_host": host, **vars}, config)
        hops.append(hop)
    return hops
