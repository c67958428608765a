"""grub-mkconfig's own flow for tests: the real 10_linux run on a defaults file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

# grub-mkconfig's own flow, minus grub-probe's device detection: source the defaults with sh,
# export what grub-mkconfig exports, run the real /etc/grub.d/10_linux on a scratch /boot (a
# tmpfs mounted over /boot in a private mount namespace).
_RUN_10_LINUX = """set -e
mount -t tmpfs tmpfs /boot
touch /boot/vmlinuz-6.1.0-28-amd64 /boot/initrd.img-6.1.0-28-amd64
. "$1"
export GRUB_CMDLINE_LINUX GRUB_CMDLINE_LINUX_DEFAULT GRUB_DISABLE_RECOVERY GRUB_DISABLE_SUBMENU
export GRUB_RECOVERY_TITLE="recovery mode" GRUB_DEVICE=/dev/sda2 GRUB_DEVICE_BOOT=/dev/sda2
export GRUB_DEVICE_UUID=00000000-0000-0000-0000-000000000000 GRUB_FS=ext4
export pkgdatadir=/usr/share/grub
exec /etc/grub.d/10_linux
"""


def real_10_linux(defaults: Path) -> str:
    """The grub.cfg text the real /etc/grub.d/10_linux writes for the defaults file."""
    if not Path("/etc/grub.d/10_linux").is_file() or shutil.which("unshare") is None:
        pytest.skip("needs grub-common's /etc/grub.d/10_linux and unshare (.ci/install-*.sh)")
    if shutil.which("dash") is None:
        pytest.skip("needs dash")
    done = subprocess.run(
        ["unshare", "-m", "dash", "-c", _RUN_10_LINUX, "10_linux", str(defaults)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0 and "mount" in done.stderr:
        pytest.skip(f"cannot mount a scratch /boot: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    return done.stdout
