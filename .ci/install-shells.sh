#!/bin/sh
# Installs the shells whose completion scripts `memmap-lint completion` prints, so that the
# `shells` tests load each script into the real shell. Run as root.
set -eu
if command -v bash >/dev/null && command -v zsh >/dev/null && command -v fish >/dev/null; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends bash zsh fish
