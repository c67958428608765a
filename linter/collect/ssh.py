"""Collect HostFacts from many hosts over SSH (paramiko), each host's failure isolated.

``collect(targets, options, progress)`` connects to every target (``options.jobs`` at a time),
checks its host key strictly, authenticates with keys (files, then the agent), runs the one fixed
remote command (``ssh_script``) and parses its output strictly. It always returns one result per
target name: ``HostFacts`` or a ``CollectFailure`` whose cause the CLI reports as MM601.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import select
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TextIO

import paramiko
from memmap_lint.collect.cache import Cache
from memmap_lint.collect.facts import CollectFailure, FailureCause, HostFacts
from memmap_lint.collect.hostkeys import HostKeyProblem, HostKeyStore, known_hosts_name
from memmap_lint.collect.script import REMOTE_COMMAND, GarbageOutput, parse_output, remote_script
from memmap_lint.collect.target import CollectOptions, SSHTarget, load_ssh_config, parse_jump

__all__ = [
    "CollectFailure",
    "CollectOptions",
    "HostFacts",
    "Progress",
    "ProgressPrinter",
    "SSHTarget",
    "collect",
    "collect_cached",
    "progress_printer",
]

#: Failures worth another attempt: the server was (re)starting or throttling new connections.
TRANSIENT: frozenset[str] = frozenset({"refused", "closed"})

_DEFAULT_IDENTITIES = ("id_rsa", "id_ecdsa", "id_ed25519")
_STDERR_KEEP = 2048
_MAX_BANNER = 8192
_POLL = 0.2  # seconds between checks that the connection is still alive while reading


@dataclass(frozen=True)
class Progress:
    """A snapshot after one host finished."""

    host: str
    ok: bool
    done: int
    failed: int
    total: int
    elapsed: float

    @property
    def remaining(self) -> int:
        return self.total - self.done


class _Failed(Exception):
    def __init__(self, cause: FailureCause, message: str) -> None:
        super().__init__(message)
        self.cause: FailureCause = cause
        self.message = message


class _Keys:
    """Private keys loaded once per run (by path), plus the agent's."""

    def __init__(self, use_agent: bool) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, paramiko.PKey | str] = {}
        self._agent: list[paramiko.PKey] | None = None if use_agent else []

    def load(self, path: str) -> paramiko.PKey | str:
        """The key at ``path``, or why it cannot be used (never the key's content)."""
        with self._lock:
            if path not in self._files:
                try:
                    self._files[path] = paramiko.PKey.from_path(path)
                except FileNotFoundError:
                    self._files[path] = f"{path}: no such file"
                except paramiko.PasswordRequiredException:
                    self._files[path] = f"{path}: protected by a passphrase (use an agent)"
                except (OSError, paramiko.SSHException, ValueError) as exc:
                    self._files[path] = f"{path}: unreadable key ({type(exc).__name__})"
            return self._files[path]

    def agent(self) -> list[paramiko.PKey]:
        with self._lock:
            if self._agent is None:
                self._agent = []
                if os.environ.get("SSH_AUTH_SOCK"):
                    with contextlib.suppress(paramiko.SSHException, OSError):
                        self._agent = list(paramiko.Agent().get_keys())
            return self._agent


@dataclass
class _Run:
    options: CollectOptions
    hostkeys: HostKeyStore
    keys: _Keys
    config: paramiko.SSHConfig


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Failed("timeout", "the host's time limit ran out")
    return left


def _tcp(host: str, port: int, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except ConnectionRefusedError:
        raise _Failed("refused", f"connection to {host}:{port} refused") from None
    except TimeoutError:
        raise _Failed(
            "timeout", f"no TCP connection to {host}:{port} within {timeout:g}s"
        ) from None
    except socket.gaierror as exc:
        raise _Failed("unreachable", f"cannot resolve {host}: {exc.strerror}") from None
    except OSError as exc:
        raise _Failed("unreachable", f"cannot reach {host}:{port}: {exc.strerror}") from None


def _check_banner(sock: socket.socket, address: str, timeout: float) -> None:
    """Refuse a server whose first line runs past OpenSSH's banner limit (kex.c
    ``kex_exchange_identification``: SSH_MAX_BANNER_LEN, 8192 bytes) before paramiko reads it
    (it would accumulate the line until its time runs out, at full CPU). The bytes are only
    peeked at: paramiko reads them again."""
    end = time.monotonic() + timeout
    seen = 0
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            raise _Failed("timeout", f"no SSH handshake from {address} within {timeout:g}s")
        try:
            data = sock.recv(_MAX_BANNER, socket.MSG_PEEK)
        except OSError:
            return  # the handshake reports the connection's fate
        if not data or b"\n" in data:
            return
        if len(data) >= _MAX_BANNER:
            raise _Failed(
                "not-ssh",
                f"{address} sent {len(data)} bytes without a line end: not an SSH server",
            )
        if len(data) == seen:
            time.sleep(0.01)  # nothing new yet (select stays ready on peeked data)
        seen = len(data)


def _handshake(
    run: _Run, target: SSHTarget, sock: socket.socket | paramiko.Channel, deadline: float
) -> paramiko.Transport:
    opts = run.options
    connect_timeout = min(target.connect_timeout or opts.connect_timeout, _remaining(deadline))
    if isinstance(sock, socket.socket):
        try:
            _check_banner(sock, target.address, connect_timeout)
        except _Failed:
            sock.close()
            raise
    transport = paramiko.Transport(sock)
    transport.banner_timeout = connect_timeout
    transport.handshake_timeout = connect_timeout
    name = known_hosts_name(target.host, target.port)
    preferred = run.hostkeys.preferred_types(name)
    if preferred:
        security = transport.get_security_options()
        supported = [t for t in preferred if t in security.key_types]
        security.key_types = supported + [t for t in security.key_types if t not in supported]
    started = time.monotonic()
    try:
        transport.start_client(timeout=connect_timeout)
        if not (transport.is_active() and transport.initial_kex_done):
            # start_client returns quietly when its time is up
            raise paramiko.SSHException("negotiation did not finish")
    except (paramiko.SSHException, EOFError, OSError) as exc:
        transport.close()
        text = str(exc)
        if "Indecipherable protocol version" in text:
            raise _Failed("not-ssh", f"{target.address} does not speak SSH") from None
        if time.monotonic() - started >= connect_timeout * 0.9:
            raise _Failed(
                "timeout", f"no SSH handshake from {target.address} within {connect_timeout:g}s"
            ) from None
        raise _Failed(
            "closed", f"{target.address} closed the connection during the SSH handshake"
        ) from None
    try:
        run.hostkeys.verify(name, transport.get_remote_server_key())
    except HostKeyProblem as exc:
        transport.close()
        raise _Failed(
            "hostkey-unknown" if exc.cause == "hostkey-unknown" else "hostkey-changed", exc.message
        ) from None
    _authenticate(run, target, transport, deadline)
    return transport


def _authenticate(
    run: _Run, target: SSHTarget, transport: paramiko.Transport, deadline: float
) -> None:
    user = target.user or getpass.getuser()
    transport.auth_timeout = min(run.options.auth_timeout, _remaining(deadline))
    paths = list(target.key_files) or [
        os.path.expanduser(f"~/.ssh/{n}") for n in _DEFAULT_IDENTITIES
    ]
    candidates: list[paramiko.PKey] = []
    problems: list[str] = []
    for path in paths:
        key = run.keys.load(path)
        if isinstance(key, str):
            if target.key_files:
                problems.append(key)
        else:
            candidates.append(key)
    candidates.extend(run.keys.agent())
    started = time.monotonic()
    for key in candidates:
        try:
            transport.auth_publickey(user, key)
        except paramiko.BadAuthenticationType as exc:
            transport.close()
            raise _Failed(
                "auth", f"{user}@{target.address} does not accept keys (allows {exc.allowed_types})"
            ) from None
        except paramiko.AuthenticationException:
            if time.monotonic() - started >= transport.auth_timeout * 0.9:
                transport.close()
                raise _Failed("timeout", f"authentication at {target.address} timed out") from None
            continue
        except (paramiko.SSHException, EOFError, OSError):
            break
        if transport.is_authenticated():
            return
    transport.close()
    why = f" ({'; '.join(problems)})" if problems else ""
    raise _Failed("auth", f"no key accepted for {user}@{target.address}{why}")


def _connect(
    run: _Run, target: SSHTarget, deadline: float
) -> tuple[paramiko.Transport, list[paramiko.Transport]]:
    """An authenticated transport to ``target`` and the jump transports it runs through."""
    opts = run.options
    jumps: list[paramiko.Transport] = []
    if not target.proxy_jump:
        sock = _tcp(
            target.host,
            target.port,
            min(target.connect_timeout or opts.connect_timeout, _remaining(deadline)),
        )
        return _handshake(run, target, sock, deadline), jumps
    hops = parse_jump(target.proxy_jump, run.config)
    try:
        first = hops[0]
        sock = _tcp(
            first.host,
            first.port,
            min(first.connect_timeout or opts.connect_timeout, _remaining(deadline)),
        )
        jumps.append(_handshake(run, first, sock, deadline))
        for hop in [*hops[1:], target]:
            try:
                channel = jumps[-1].open_channel(
                    "direct-tcpip",
                    (hop.host, hop.port),
                    ("127.0.0.1", 0),
                    timeout=min(opts.connect_timeout, _remaining(deadline)),
                )
            except paramiko.ChannelException as exc:
                cause: FailureCause = "refused" if exc.code == 2 else "unreachable"
                raise _Failed(cause, f"jump host cannot open {hop.address}: {exc.text}") from None
            except (paramiko.SSHException, EOFError, OSError):
                raise _Failed("closed", f"jump connection to {hop.address} failed") from None
            transport = _handshake(run, hop, channel, deadline)
            if hop is target:
                return transport, jumps
            jumps.append(transport)
    except BaseException:
        for j in jumps:
            j.close()
        raise
    raise AssertionError("unreachable")  # pragma: no cover


def _run_command(
    run: _Run, target: SSHTarget, transport: paramiko.Transport, deadline: float
) -> tuple[bytes, int]:
    opts = run.options
    limit = min(opts.command_timeout, _remaining(deadline))
    end = time.monotonic() + limit
    try:
        channel = transport.open_session(timeout=limit)
    except paramiko.ChannelException as exc:
        raise _Failed("permission", f"{target.address} refused a session: {exc.text}") from None
    except (paramiko.SSHException, EOFError, OSError):
        raise _Failed("closed", f"{target.address} closed the connection") from None
    try:
        channel.exec_command(REMOTE_COMMAND)
        channel.sendall(remote_script(target.sudo).encode("ascii"))
        channel.shutdown_write()
    except (paramiko.SSHException, EOFError, OSError):
        raise _Failed("permission", f"{target.address} refused to run the command") from None
    out = bytearray()
    err = bytearray()
    while True:
        left = end - time.monotonic()
        if left <= 0:
            channel.close()
            raise _Failed("timeout", f"the command on {target.address} ran over {limit:g}s")
        select.select([channel], [], [], min(left, _POLL))
        if not (channel.recv_ready() or channel.recv_stderr_ready() or channel.eof_received):
            if not transport.is_active() or channel.closed:
                # a dead connection leaves the channel readable for select with nothing to
                # read: checked here, so a reset is reported now, not when the time runs out
                if time.monotonic() >= deadline:  # the host's watchdog closed it
                    raise _Failed("timeout", "the host's time limit ran out")
                raise _Failed(
                    "closed",
                    f"{target.address}: the connection dropped after {len(out)} bytes of output",
                )
            continue
        while channel.recv_ready():
            out += channel.recv(65536)
            if len(out) > opts.max_output:
                channel.close()
                raise _Failed(
                    "output-too-large",
                    f"{target.address} printed more than {opts.max_output} bytes",
                )
        while channel.recv_stderr_ready():
            chunk = channel.recv_stderr(65536)
            if len(err) < _STDERR_KEEP:
                err += chunk[: _STDERR_KEEP - len(err)]
        if channel.eof_received and not channel.recv_ready() and not channel.recv_stderr_ready():
            break
    while not channel.exit_status_ready():
        if time.monotonic() >= end:
            channel.close()
            raise _Failed("timeout", f"the command on {target.address} did not exit")
        channel.status_event.wait(0.05)
    status = channel.recv_exit_status()
    channel.close()
    if status != 0 and not out:
        first = err.decode("utf-8", "replace").strip().splitlines()[:1]
        detail = f": {first[0][:200]}" if first else ""
        lowered = detail.lower()
        cause: FailureCause = "command-failed"
        if "permission denied" in lowered or "not available" in lowered:
            cause = "permission"
        raise _Failed(cause, f"the command on {target.address} exited with {status}{detail}")
    return bytes(out), status


def _collect_once(run: _Run, target: SSHTarget, deadline: float) -> HostFacts:
    transport, jumps = _connect(run, target, deadline)
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), transport.close)
    watchdog.daemon = True
    watchdog.start()
    try:
        raw, _ = _run_command(run, target, transport, deadline)
    except (paramiko.SSHException, EOFError, OSError) as exc:
        if time.monotonic() >= deadline:
            raise _Failed("timeout", "the host's time limit ran out") from None
        raise _Failed(
            "closed", f"{target.address}: connection lost ({type(exc).__name__})"
        ) from None
    finally:
        watchdog.cancel()
        transport.close()
        for j in reversed(jumps):
            j.close()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    address = target.address + (f" via {target.proxy_jump}" if target.proxy_jump else "")
    try:
        return parse_output(raw, address, now.isoformat().replace("+00:00", "Z"))
    except GarbageOutput as exc:
        raise _Failed("garbage", f"unexpected output from {target.address}: {exc}") from None


def collect_one(run: _Run, target: SSHTarget) -> HostFacts | CollectFailure:
    """Collect one host with retries for transient failures; never raises for a host problem."""
    opts = run.options
    deadline = time.monotonic() + opts.host_timeout
    attempt = 0
    while True:
        attempt += 1
        try:
            return _collect_once(run, target, deadline)
        except _Failed as exc:
            wait = opts.backoff * (2 ** (attempt - 1))
            retry = (
                exc.cause in TRANSIENT
                and attempt <= opts.retries
                and time.monotonic() + wait < deadline
            )
            if not retry:
                return CollectFailure(target.name, exc.cause, exc.message, target.address, attempt)
            time.sleep(wait)
        except Exception as exc:  # a paramiko corner not classified above: still isolated
            return CollectFailure(
                target.name, "error", f"{type(exc).__name__}: {exc}", target.address, attempt
            )


def collect(
    targets: Sequence[SSHTarget],
    options: CollectOptions,
    progress: Callable[[Progress], None] | None = None,
    on_result: Callable[[str, HostFacts | CollectFailure], object] | None = None,
) -> dict[str, HostFacts | CollectFailure]:
    """Facts or a failure for every target, keyed by inventory name, in the targets' order;
    ``on_result`` gets each as it arrives (an interrupted run keeps what it gathered)."""
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise ValueError("target names must be unique")
    run = _Run(
        options,
        HostKeyStore(options.known_hosts, options.system_known_hosts, options.accept_new),
        _Keys(options.use_agent),
        load_ssh_config(options.ssh_config),
    )
    results: dict[str, HostFacts | CollectFailure] = {}
    started = time.monotonic()
    failed = 0
    workers = max(1, min(options.jobs, len(targets)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collect") as pool:
        futures = {pool.submit(collect_one, run, t): t for t in targets}
        for future in as_completed(futures):
            target = futures[future]
            result = future.result()
            results[target.name] = result
            if on_result is not None:
                on_result(target.name, result)
            failed += isinstance(result, CollectFailure)
            if progress is not None:
                progress(
                    Progress(
                        target.name,
                        isinstance(result, HostFacts),
                        len(results),
                        failed,
                        len(targets),
                        time.monotonic() - started,
                    )
                )
    return {name: results[name] for name in names}


class ProgressPrinter:
    """Prints ``collect: 12/40 done, 1 failed, 28 remaining, 3.1s`` on one rewritten line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, p: Progress) -> None:
        line = (
            f"\rcollect: {p.done}/{p.total} done, {p.failed} failed, "
            f"{p.remaining} remaining, {p.elapsed:.1f}s"
        )
        self.stream.write(line + ("\n" if p.remaining == 0 else ""))
        self.stream.flush()


def progress_printer(stream: TextIO) -> ProgressPrinter | None:
    """A printer for ``stream`` when it is a terminal, else None (quiet)."""
    try:
        return ProgressPrinter(stream) if stream.isatty() else None
    except (AttributeError, ValueError):
        return None


def collect_cached(
    targets: Sequence[SSHTarget],
    options: CollectOptions,
    cache: Cache,
    max_age: float,
    refresh: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> dict[str, HostFacts | CollectFailure]:
    """Like ``collect``, but hosts with facts younger than ``max_age`` come from ``cache``
    (unless ``refresh``), and every new result is recorded in it."""
    results: dict[str, HostFacts | CollectFailure] = {}
    todo: list[SSHTarget] = []
    for target in targets:
        facts = None if refresh else cache.fresh(target.name, max_age)
        if facts is None:
            todo.append(target)
        else:
            results[target.name] = facts
    results.update(collect(todo, options, progress, cache.record))
    return {t.name: results[t.name] for t in targets}
