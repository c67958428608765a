"""Host key checking as OpenSSH's StrictHostKeyChecking=yes, or accept-new when asked.

Keys come from the user's and the system's known_hosts files (hashed names included). An unknown
or changed key is refused with its SHA256 fingerprint; with ``accept_new`` an unknown key is
appended to the first user file atomically (lock, copy, fsync, rename) and trusted for the run.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import paramiko
from memmap_lint.errors import LintError
from memmap_lint.fileio import read_text, write_file
from paramiko.hostkeys import HostKeyEntry, InvalidHostKey


class HostKeyProblem(Exception):
    """A host key was refused; ``cause`` is ``hostkey-unknown`` or ``hostkey-changed``."""

    def __init__(self, cause: str, message: str) -> None:
        super().__init__(message)
        self.cause = cause
        self.message = message


def fingerprint(key: paramiko.PKey) -> str:
    """``SHA256:...`` as ``ssh-keygen -l`` prints it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def known_hosts_name(host: str, port: int) -> str:
    """How OpenSSH names a host in known_hosts: ``host`` on port 22, ``[host]:port`` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


def _expand(paths: Sequence[str]) -> list[Path]:
    return [Path(os.path.expanduser(p)) for p in paths]


class HostKeyStore:
    """The known_hosts of one run, shared by all worker threads."""

    def __init__(
        self, user_files: Sequence[str], system_files: Sequence[str], accept_new: bool
    ) -> None:
        self.user_files = _expand(user_files)
        self.accept_new = accept_new
        self._keys = paramiko.HostKeys()
        self._revoked: set[bytes] = set()
        self._lock = threading.Lock()
        for path in [*self.user_files, *_expand(system_files)]:
            if path.exists():
                with contextlib.suppress(LintError):  # unreadable: no keys, as ssh does
                    self._load(read_text(path, "known-hosts", "MM601"))

    def _load(self, text: str) -> None:
        """The entries of one known_hosts file, read as OpenSSH's hostfile.c does: a line it
        cannot parse is skipped; ``@revoked`` keys are refused for every host;
        ``@cert-authority`` lines (host certificates, which paramiko does not verify) are
        skipped rather than misread as keys."""
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            marker, _, rest = line.partition(" ")
            if marker == "@cert-authority":
                continue
            revoked = marker == "@revoked"
            try:
                entry = HostKeyEntry.from_line(rest if revoked else line, number)
            except (InvalidHostKey, paramiko.SSHException, ValueError, TypeError, IndexError):
                continue
            if entry is None or entry.key is None:
                continue
            if revoked:
                self._revoked.add(entry.key.asbytes())
                continue
            for host in entry.hostnames:
                self._keys.add(host, entry.key.get_name(), entry.key)

    def preferred_types(self, name: str) -> list[str]:
        """Host key algorithms to offer first for ``name``: the types already known."""
        with self._lock:
            known = self._keys.lookup(name)
            types = list(known.keys()) if known is not None else []
        result: list[str] = []
        for t in types:
            result.extend(["rsa-sha2-512", "rsa-sha2-256", t] if t == "ssh-rsa" else [t])
        return result

    def verify(self, name: str, key: paramiko.PKey) -> None:
        """Accept ``key`` for ``name`` or raise HostKeyProblem."""
        offered = f"{key.get_name()} {fingerprint(key)}"
        if key.asbytes() in self._revoked:
            raise HostKeyProblem(
                "hostkey-changed",
                f"host key for {name} is REVOKED in known_hosts (@revoked): {offered}",
            )
        with self._lock:
            known = self._keys.lookup(name)
            if known is not None:
                expected = known.get(key.get_name())
                if expected is not None and expected == key:
                    return
                listed = ", ".join(f"{k.get_name()} {fingerprint(k)}" for k in known.values())
                raise HostKeyProblem(
                    "hostkey-changed",
                    f"host key for {name} has CHANGED: the server offers {offered}, "
                    f"known_hosts has {listed}; if the change is expected, remove the old key "
                    f"(ssh-keygen -R '{name}') and verify the new one",
                )
            if not self.accept_new:
                raise HostKeyProblem(
                    "hostkey-unknown",
                    f"host key for {name} is not known: the server offers {offered}; "
                    "verify it and add it to known_hosts, or allow recording new keys "
                    "(--accept-new)",
                )
            self._keys.add(name, key.get_name(), key)
            self._record(name, key)

    def _record(self, name: str, key: paramiko.PKey) -> None:
        if not self.user_files:
            return
        path = self.user_files[0]
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        line = f"{name} {key.get_name()} {key.get_base64()}\n"
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            fcntl.flock(dir_fd, fcntl.LOCK_EX)
            try:
                old = path.read_bytes()
            except FileNotFoundError:
                old = b""
            if old and not old.endswith(b"\n"):
                old += b"\n"
            write_file(path, [old + line.encode("ascii")], mode=0o600)
        finally:
            os.close(dir_fd)
