#!/bin/sh
# Installs the real boot tooling the boot-file tests drive: GRUB's grub-mkconfig scripts
# (/etc/grub.d/10_linux) and grub-script-check (grub-common, grub2-common), objcopy (binutils)
# to build unified kernel images, and the kernel's tools/bootconfig, built from Debian's
# linux-source (no Debian package ships it). Idempotent; run as root.
set -eu
export DEBIAN_FRONTEND=noninteractive
if [ ! -x /etc/grub.d/10_linux ] || ! command -v grub-script-check >/dev/null \
   || ! command -v objcopy >/dev/null || ! command -v bootconfig >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends grub-common grub2-common binutils \
        linux-source xz-utils gcc make libc6-dev
fi
if ! command -v bootconfig >/dev/null; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    src=$(ls /usr/src/linux-source-*.tar.xz | sort -V | tail -n 1)
    top=$(basename "$src" .tar.xz)
    tar -xJf "$src" -C "$work" "$top/tools" "$top/lib" "$top/include" "$top/scripts"
    make -s -C "$work/$top/tools/bootconfig" bootconfig
    install -m 0755 "$work/$top/tools/bootconfig/bootconfig" /usr/local/bin/bootconfig
fi
