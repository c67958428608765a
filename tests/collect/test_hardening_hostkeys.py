"""known_hosts lines paramiko cannot load must not make collection unusable: ``@cert-authority``
lines are skipped (host certificates are not verified), ``@revoked`` keys are refused for every
host, unparsable lines are skipped as OpenSSH's hostfile.c skips them. Keys are real ones
made by ssh-keygen."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import paramiko
import pytest
from memmap_lint.collect.hostkeys import HostKeyProblem, HostKeyStore

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")


def _key(tmp_path: Path, name: str) -> paramiko.PKey:
    path = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return paramiko.Ed25519Key.from_private_key_file(str(path))


def test_markers_and_bad_lines_do_not_break_loading(tmp_path: Path) -> None:
    good, bad, ca, new = (_key(tmp_path, n) for n in ("good", "bad", "ca", "new"))
    known = tmp_path / "known_hosts"
    known.write_text(
        f"@cert-authority *.example.com ssh-ed25519 {ca.get_base64()}\n"
        f"@revoked * ssh-ed25519 {bad.get_base64()}\n"
        "garbage line without a key\n"
        "db-01 ssh-ed25519 !!!not-base64!!!\n"
        f"db-01,10.0.0.1 ssh-ed25519 {good.get_base64()}\n"
        f"db-02 ssh-ed25519 {bad.get_base64()}\n"
    )
    store = HostKeyStore([str(known)], [], accept_new=False)
    store.verify("db-01", good)
    store.verify("10.0.0.1", good)
    with pytest.raises(HostKeyProblem, match="REVOKED"):
        store.verify("db-02", bad)
    with pytest.raises(HostKeyProblem) as err:
        store.verify("db-03", new)
    assert err.value.cause == "hostkey-unknown"


def test_accept_new_records_privately(tmp_path: Path) -> None:
    known = tmp_path / ".ssh" / "known_hosts"
    store = HostKeyStore([str(known)], [], accept_new=True)
    key = _key(tmp_path, "k")
    store.verify("db-09", key)
    assert stat.S_IMODE(known.stat().st_mode) == 0o600
    assert known.read_text() == f"db-09 ssh-ed25519 {key.get_base64()}\n"
    again = HostKeyStore([str(known)], [], accept_new=False)
    again.verify("db-09", key)
