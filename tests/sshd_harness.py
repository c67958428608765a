"""Real OpenSSH servers on 127.0.0.1 for the collection tests and the benchmark.

Each server runs ``/usr/sbin/sshd -D`` in its own mount namespace (``unshare -m``, as root), where
the fixture host's files are mounted over the real paths the collector reads: its firmware map
over /sys/firmware/memmap, its command line over /proc/cmdline, and its /etc, /boot and DMI files
over /etc/default, /etc/kernel and /boot (an empty directory when the fixture has none, so
nothing of this machine shows through) and its DMI files as an overlay on /sys/class. Nothing in the collector knows about this.
A fixture host directory may hold: ``memmap/`` (sysfs-style), ``cmdline``, ``class/``, ``etc/``,
``boot/`` and ``dmesg.txt`` (a host without a firmware map whose ``dmesg`` prints that log).

``ensure_user`` and ``sudoers_rule`` give the sudo tests an unprivileged login user and a
test-only ``/etc/sudoers.d`` file (removed afterwards).
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"
FIXTURES = Path(__file__).parent / "fixtures" / "sshd"


def sshd_available() -> str | None:
    """Why the real-sshd tests cannot run here, or None when they can."""
    if not os.path.exists(SSHD) or shutil.which("ssh-keygen") is None:
        return "openssh-server is not installed (run .ci/install-sshd.sh)"
    if os.geteuid() != 0:
        return "the sshd tests mount fixture files in a namespace and need root"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is missing"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keygen(path: Path, kind: str = "ed25519") -> Path:
    """A new passphrase-less key pair at ``path`` (and ``path.pub``)."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "memmap-lint-test", "-f", str(path)],
        check=True,
    )
    return path


def public_line(key: Path) -> str:
    """``type base64`` of a key pair's public half."""
    kind, b64 = key.with_name(key.name + ".pub").read_text().split()[:2]
    return f"{kind} {b64}"


def ssh_fingerprint(key: Path) -> str:
    """``SHA256:...`` as OpenSSH's ssh-keygen prints it for the public key."""
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", f"{key}.pub"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()[1]


@dataclass
class Server:
    """One running sshd; ``ports`` maps a role (``main``, ``hang``...) to its port."""

    name: str
    workdir: Path
    host_key: Path
    ports: dict[str, int]
    process: subprocess.Popen[bytes]
    log: Path

    def port(self, role: str = "main") -> int:
        return self.ports[role]

    def known_hosts_lines(self) -> list[str]:
        return [f"[127.0.0.1]:{p} {public_line(self.host_key)}" for p in self.ports.values()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _mount_script(fixture: Path | None, workdir: Path, sshd_config: Path) -> str:
    q = shlex.quote
    lines = ["set -e", "mkdir -p /run/sshd"]
    if fixture is not None:
        memmap = fixture / "memmap"
        if memmap.is_dir():
            lines.append(f"mount --bind {q(str(memmap))} /sys/firmware/memmap")
        else:
            nomap = workdir / "no-memmap"
            nomap.mkdir(exist_ok=True)
            lines.append(f"mount --bind {q(str(nomap))} /sys/firmware/memmap")
        if (fixture / "cmdline").is_file():
            lines.append(f"mount --bind {q(str(fixture / 'cmdline'))} /proc/cmdline")
        empty = workdir / "empty"
        empty.mkdir(exist_ok=True)
        # Whole directories are replaced so that nothing of this machine shows through.
        overlay_etc = []
        for sub in ("default", "kernel"):
            mine = fixture / "etc" / sub
            if os.path.isdir(f"/etc/{sub}"):
                source = mine if mine.is_dir() else empty
                lines.append(f"mount --bind {q(str(source))} /etc/{sub}")
            elif mine.is_dir():
                overlay_etc.append(sub)
        if overlay_etc:
            lower = f"{fixture / 'etc'}:/etc"
            lines.append(f"mount -t overlay overlay -o lowerdir={q(lower)} /etc")
        boot = fixture / "boot"
        lines.append(f"mount --bind {q(str(boot if boot.is_dir() else empty))} /boot")
        if (fixture / "class").is_dir():
            lower = f"{fixture / 'class'}:/sys/class"
            lines.append(f"mount -t overlay overlay -o lowerdir={q(lower)} /sys/class")
        elif os.path.isdir("/sys/class/dmi/id"):
            lines.append(f"mount --bind {q(str(empty))} /sys/class/dmi/id")
        post = fixture / "postboot"  # what a running kernel shows after the boot (verify)
        if (post / "iomem").is_file():
            lines.append(f"mount --bind {q(str(post / 'iomem'))} /proc/iomem")
        if (post / "module").is_dir():
            lower = f"{post / 'module'}:/sys/module"
            lines.append(f"mount -t overlay overlay -o lowerdir={q(lower)} /sys/module")
        if (post / "tracing").is_dir():
            lines.append(f"mount --bind {q(str(post / 'tracing'))} /sys/kernel/tracing")
        if (post / "pstore").is_dir():
            lines.append("mount -t pstore pstore /sys/fs/pstore")
        archive = post / "systemd-pstore"  # what systemd-pstore moved out of /sys/fs/pstore
        if archive.is_dir():
            if os.path.isdir("/var/lib/systemd/pstore"):
                lines.append(f"mount --bind {q(str(archive))} /var/lib/systemd/pstore")
            else:
                lower = workdir / "var-lib-systemd"
                shutil.copytree(archive, lower / "pstore", dirs_exist_ok=True)
                lines.append("mkdir -p /var/lib/systemd")
                lines.append(
                    f"mount -t overlay overlay -o lowerdir={q(f'{lower}:/var/lib/systemd')} "
                    "/var/lib/systemd"
                )
        if (fixture / "dmesg.txt").is_file():
            fake = workdir / "dmesg"
            fake.write_text(f"#!/bin/sh\nexec cat {q(str(fixture / 'dmesg.txt'))}\n")
            fake.chmod(0o755)
            real = shutil.which("dmesg") or "/usr/bin/dmesg"
            lines.append(f"mount --bind {q(str(fake))} {q(real)}")
    lines.append(f"exec {SSHD} -D -e -f {q(str(sshd_config))}")
    return "\n".join(lines)


def sudo_available() -> str | None:
    """Why the sudo tests cannot run here (on top of ``sshd_available``), or None."""
    if shutil.which("sudo") is None or shutil.which("visudo") is None:
        return "sudo is not installed (run .ci/install-sshd.sh)"
    if shutil.which("useradd") is None:
        return "useradd (passwd) is missing"
    return None


def ensure_user(name: str) -> None:
    """An unprivileged login user ``name`` (created once, kept: CI runs as root).

    Its password is ``*`` (no password can match), not the ``!`` useradd leaves: sshd without
    PAM refuses a locked account even for a key.
    """
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "-M", "-d", "/nonexistent", "-s", "/bin/sh", name],
            check=True,
        )
    subprocess.run(["usermod", "-p", "*", name], check=True)


@contextmanager
def sudoers_rule(name: str, rule: str) -> Iterator[Path]:
    """``rule`` in ``/etc/sudoers.d/memmap-lint-test-<name>`` while the block runs.

    Checked with ``visudo -cf`` first (a broken file would break sudo for everyone) and written
    atomically; removed afterwards.
    """
    path = Path("/etc/sudoers.d") / f"memmap-lint-test-{name}"
    staged = path.with_name(f".{path.name}.tmp")  # sudo skips names with a dot
    staged.write_text(rule.rstrip("\n") + "\n")
    staged.chmod(0o440)
    try:
        subprocess.run(["visudo", "-cqf", str(staged)], check=True, capture_output=True)
        os.replace(staged, path)
        yield path
    finally:
        staged.unlink(missing_ok=True)
        path.unlink(missing_ok=True)


def start_server(
    name: str,
    workdir: Path,
    authorized_keys: Sequence[Path],
    fixture: Path | None = None,
    force_commands: dict[str, str] | None = None,
    forwarding: bool = False,
    max_startups: str = "10:30:100",
) -> Server:
    """Start sshd for fixture host ``fixture`` with one extra port per forced command role."""
    workdir.mkdir(parents=True, exist_ok=True)
    host_key = keygen(workdir / "host_ed25519")
    auth = workdir / "authorized_keys"
    auth.write_text("".join(public_line(k) + "\n" for k in authorized_keys))
    ports = {"main": free_port()}
    for role in force_commands or {}:
        ports[role] = free_port()
    config = [
        "ListenAddress 127.0.0.1",
        *(f"Port {p}" for p in ports.values()),
        f"HostKey {host_key}",
        f"AuthorizedKeysFile {auth}",
        "StrictModes no",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "PidFile none",
        "LogLevel ERROR",
        f"MaxStartups {max_startups}",
        "MaxSessions 100",
        f"AllowTcpForwarding {'yes' if forwarding else 'no'}",
        "X11Forwarding no",
        "PrintMotd no",
        "PrintLastLog no",
        "UseDNS no",
    ]
    for role, command in (force_commands or {}).items():
        config += [f"Match LocalPort {ports[role]}", f"    ForceCommand {command}"]
    sshd_config = workdir / "sshd_config"
    sshd_config.write_text("\n".join(config) + "\n")
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # what the Debian unit creates
    check = subprocess.run([SSHD, "-t", "-f", str(sshd_config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"sshd rejects its test config: {check.stderr.strip()}")
    log = workdir / "sshd.log"
    process = subprocess.Popen(
        [
            "unshare",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            _mount_script(fixture, workdir, sshd_config),
        ],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    server = Server(name, workdir, host_key, ports, process, log)
    deadline = time.monotonic() + 10
    for port in ports.values():
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"sshd {name} exited: {log.read_text().strip()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    if s.recv(4).startswith(b"SSH-"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"sshd {name} did not come up on port {port}")
            time.sleep(0.02)
    return server


@dataclass
class SilentPort:
    """A TCP port that accepts connections and never says anything (not an SSH server)."""

    port: int = 0
    _sock: socket.socket = field(default_factory=socket.socket)
    _held: list[socket.socket] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> SilentPort:
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.port = int(self._sock.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self._held.append(conn)

    def stop(self) -> None:
        self._stop.set()
        for conn in self._held:
            conn.close()
        self._sock.close()


def ssh_command(key: Path, known_hosts: Path, port: int, *remote: str) -> list[str]:
    """OpenSSH's client, strict about host keys, reading nothing of the user's own config."""
    return [
        "ssh", "-F", "none", "-T", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
        "-o", f"UserKnownHostsFile={known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "IdentitiesOnly=yes", "-i", str(key), "-p", str(port), "-l", "root",
        "127.0.0.1", *remote,
    ]  # fmt: skip


def run_ssh(
    key: Path, known_hosts: Path, port: int, *remote: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ssh_command(key, known_hosts, port, *remote), capture_output=True, text=True, timeout=30
    )
