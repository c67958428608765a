#!/bin/sh
# Installs what the `sshd` tests and benchmarks/collect.py need: OpenSSH's server and client
# from the Debian packages, and util-linux's unshare/mount (tests start each sshd in its own
# mount namespace), and sudo plus useradd for the unprivileged-user tests (test_verify_sudo.py).
# Run as root.
set -eu
if [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null \
   && command -v unshare >/dev/null && command -v sudo >/dev/null && command -v visudo >/dev/null \
   && command -v useradd >/dev/null; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends openssh-server openssh-client util-linux mount \
    sudo passwd
# The package enables and may start a system sshd on port 22; the tests never use it.
if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now ssh.service >/dev/null 2>&1 || true
fi
