"""Reading every input file and writing every output file.

Reading: a size cap per kind, no hang on a FIFO or device, located errors.

A regular file is read up to its kind's cap (reading stops there: ``/dev/zero`` or a 100 GB
file costs the cap, not the memory); a FIFO or character device is read while it keeps
producing, giving up after ``WAIT`` seconds without data (a FIFO with no writer never blocks);
anything else (a directory, a socket, a block device) is refused. A decode error names the
line and column of the first bad byte.

Writing (reports, cache, fixes): a missing path or a regular file is replaced atomically (a
reader never sees half of it) keeping its mode and owner; a symbolic link's target is replaced,
the link stays; a character device or a FIFO (``/dev/stdout``, ``/dev/null``, a pipe) is
written in place; anything else (a directory, a socket, a block device) is refused with MM002.
Text is encoded as UTF-8 with lone surrogates (undecodable input bytes) as ``\\udcXX``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import stat
import tempfile
import time
from collections.abc import Iterable, Mapping

from memmap_lint.errors import LintError

MiB = 1024 * 1024

DEFAULT_CAPS: dict[str, int] = {
    "inventory": 512 * MiB,
    "capture": 64 * MiB,
    "boot-file": 64 * MiB,
    "config": 4 * MiB,
    "ssh-config": 4 * MiB,
    "known-hosts": 64 * MiB,
    "cache": 64 * MiB,
}
"""Bytes read at most, per kind of input; ``[tool.memmap-lint] max-file-size`` overrides."""

WAIT = 10.0
"""Seconds a FIFO or device may stay silent before the read gives up."""

_caps: dict[str, int] = dict(DEFAULT_CAPS)


def set_caps(caps: Mapping[str, int]) -> None:
    """Replace the caps of the kinds named in ``caps`` (the others keep their defaults)."""
    unknown = sorted(set(caps) - set(DEFAULT_CAPS))
    if unknown:
        raise ValueError(f"unknown kind(s) {', '.join(unknown)}")
    _caps.clear()
    _caps.update(DEFAULT_CAPS)
    _caps.update(caps)


def _describe(mode: int) -> str | None:
    """What a file of ``mode`` is when it cannot be read as an input, else None."""
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    if stat.S_ISBLK(mode):
        return "is a block device"
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return None
    return "is not a file"


def _oserror(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    return exc.strerror or str(exc)


def read_bytes(path: str | os.PathLike[str], kind: str, code: str) -> bytes:
    """The bytes of ``path``, at most the cap of ``kind``; MM``code`` errors name the path."""
    label = os.fspath(path)
    try:
        fd = os.open(label, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except (OSError, ValueError) as exc:
        why = _oserror(exc) if isinstance(exc, OSError) else "embedded NUL in the path"
        raise LintError(code, f"cannot read: {why}", label) from None
    try:
        return read_fd(fd, label, kind, code)
    finally:
        os.close(fd)


def read_fd(fd: int, label: str, kind: str, code: str) -> bytes:
    """The bytes of the open ``fd`` (stdin: ``0``), read as ``read_bytes`` reads a file."""
    cap = _caps[kind]
    try:
        mode = os.fstat(fd).st_mode
        refused = _describe(mode)
        if refused:
            raise LintError(code, f"cannot read: {refused}", label)
        streaming = not stat.S_ISREG(mode)
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            if streaming and not select.select([fd], [], [], WAIT)[0]:
                raise LintError(
                    code, f"cannot read: no data for {WAIT:g} s (a FIFO or device)", label
                )
            try:
                chunk = os.read(fd, min(1 * MiB, cap + 1 - size))
            except BlockingIOError:
                continue
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > cap:
            raise LintError(
                code,
                f"cannot read: larger than the {kind} size cap of {cap} bytes "
                "(max-file-size in the config)",
                label,
            )
        return b"".join(chunks)
    except OSError as exc:
        raise LintError(code, f"cannot read: {_oserror(exc)}", label) from None


def decode(data: bytes, label: str, code: str) -> str:
    """``data`` as UTF-8 (a leading BOM dropped); a bad byte is an error at its line:col."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[start : exc.start].decode("utf-8", "replace")) + 1
        raise LintError(
            code, f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded", label, line, column
        ) from None


def read_text(path: str | os.PathLike[str], kind: str, code: str) -> str:
    """The text of ``path`` (UTF-8), read as ``read_bytes`` reads it."""
    return decode(read_bytes(path, kind, code), os.fspath(path), code)


ENCODING_ERRORS = "backslashreplace"
TEMPORARY_GLOB = ".memmap-lint-*.tmp"
"""The names of temporary files a killed writer may leave beside what it was writing."""


def write_error(path: str, exc: OSError | str) -> LintError:
    """MM002 naming ``path`` and why it cannot be written."""
    why = exc if isinstance(exc, str) else (exc.strerror or str(exc))
    if isinstance(exc, OSError) and exc.errno == errno.ELOOP:
        why = "symbolic link loop"
    return LintError("MM002", f"cannot write {path}: {why}", path)


def _default_mode() -> int:
    """What a plain open() would give a new file: 0666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


#: Text chunks are joined up to about this many characters before one encode and one write.
BATCH = 1 << 16


def _encoded(chunks: Iterable[str | bytes]) -> Iterable[bytes]:
    """The chunks as bytes, small text chunks joined (a report yields one per host)."""
    pending: list[str] = []
    size = 0
    for chunk in chunks:
        if isinstance(chunk, bytes):
            if pending:
                yield "".join(pending).encode("utf-8", ENCODING_ERRORS)
                pending, size = [], 0
            yield chunk
            continue
        pending.append(chunk)
        size += len(chunk)
        if size >= BATCH:
            yield "".join(pending).encode("utf-8", ENCODING_ERRORS)
            pending, size = [], 0
    if pending:
        yield "".join(pending).encode("utf-8", ENCODING_ERRORS)


def _write_in_place(path: str, chunks: Iterable[str | bytes]) -> None:
    """Stream into a FIFO or character device (opened without creating or truncating).

    A FIFO without a reader is waited for at most ``WAIT`` seconds (a blocking open would hang).
    """
    deadline = time.monotonic() + WAIT
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise write_error(path, exc) from None
            if time.monotonic() >= deadline:
                raise write_error(path, f"no reader for {WAIT:g} s (a FIFO)") from None
            time.sleep(0.05)
    os.set_blocking(fd, True)  # a slow reader is waited for, as by any writer
    try:
        with os.fdopen(fd, "wb") as out:
            for data in _encoded(chunks):
                out.write(data)
    except OSError as exc:
        raise write_error(path, exc) from None


def _replace(
    path: str, st: os.stat_result | None, chunks: Iterable[str | bytes], mode: int | None
) -> None:
    """Write a temporary file beside ``path``, fsync it, give it ``st``'s mode and owner, then
    rename it over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".memmap-lint-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as out:
            for data in _encoded(chunks):
                out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if st is None:
            os.chmod(tmp, _default_mode() if mode is None else mode)
        else:
            with contextlib.suppress(PermissionError):
                os.chown(tmp, st.st_uid, st.st_gid)
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, path)
        _sync_directory(directory)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from None
        raise


def _sync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (fsync of the directory)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(
    path: str | os.PathLike[str],
    chunks: Iterable[str | bytes],
    mode: int | None = None,
    follow: bool = True,
) -> None:
    """Write ``chunks`` to ``path`` as the module docstring says (MM002 when it cannot).

    ``mode`` is a new file's mode (default: 0666 less the umask); with ``follow=False`` a
    symbolic link at ``path`` is itself replaced by the file (the tool's own cache).
    """
    path = os.fspath(path)
    if "\0" in path:
        raise write_error(path, "embedded NUL in the path")
    try:
        st: os.stat_result | None = os.stat(path, follow_symlinks=follow)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise write_error(path, exc) from None
    if st is not None and (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        _write_in_place(path, chunks)  # opened through any link (/dev/stdout included)
    elif st is None or stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
        linked = follow and os.path.islink(path)
        target = os.path.realpath(path) if linked else path
        _replace(target, None if st is None or stat.S_ISLNK(st.st_mode) else st, chunks, mode)
    else:
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise write_error(path, f"it is {kind} (refused)")
