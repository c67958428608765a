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
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import paramiko


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
        self._lock = threading.Lock()
        for path in [*self.user_files, *_expand(system_files)]:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
                self._keys.load(str(path))

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
                mode = path.stat().st_mode & 0o777
            except FileNotFoundError:
                old, mode = b"", 0o600
            if old and not old.endswith(b"\n"):
                old += b"\n"
            fd, tmp = tempfile.mkstemp(prefix=".known_hosts.", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(old + line.encode("ascii"))
                    out.flush()
                    os.fchmod(out.fileno(), mode)
                    os.fsync(out.fileno())
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
