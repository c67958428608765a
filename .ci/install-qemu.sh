#!/usr/bin/env bash
# Install what the live kernel tests (pytest marker `qemu`) need: qemu-system-x86, Debian's
# stock kernels with their pstore modules, and a static busybox for the post-boot initramfs,
# unpacked into a git-ignored cache inside the repository.
#
#   stock-6.1      newest linux-image-6.1.0-N-amd64-unsigned           (stock dialect)
#   mainline-6.12  newest linux-image-6.12.N+deb12-amd64-unsigned      (mainline dialect)
#
# Each kernel lands in $MEMMAP_LINT_KERNELS/<name>/ (default .cache/kernels/<name>/) as
# `vmlinuz` (the bzImage), `vmlinux` (the ELF inside it: QEMU boots it through its PVH entry,
# as the recorded answers in tests/fixtures were booted), `config`, `release` and
# `modules/` (the package's kernel/fs/pstore and kernel/lib modules, as shipped: ramoops and the
# reed_solomon it depends on, for the post-boot tests' initramfs). Debian's busybox-static lands
# in $MEMMAP_LINT_KERNELS/busybox-static/busybox.
# The packages are fetched with `apt-get download` and unpacked with dpkg-deb: no boot loader
# hooks, nothing installed into /boot. Idempotent: a second run with everything in place touches
# neither apt nor the network. Works as root without a terminal (CI=true); uses sudo otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${MEMMAP_LINT_KERNELS:-$ROOT/.cache/kernels}"
export DEBIAN_FRONTEND=noninteractive

SUDO=()
if [ "$(id -u)" != 0 ]; then
    SUDO=(sudo)
fi

APT_UPDATED=0
apt_update_once() {
    if [ "$APT_UPDATED" = 0 ]; then
        "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
        APT_UPDATED=1
    fi
}

# 1. QEMU and the decompressors for the kernel payload (xz for 6.1, zstd for 6.12).
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v xz >/dev/null || missing+=(xz-utils)
command -v zstd >/dev/null || missing+=(zstd)
command -v od >/dev/null || missing+=(coreutils)
if [ "${#missing[@]}" -gt 0 ]; then
    apt_update_once
    "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

# Read a little-endian unsigned integer of $3 bytes at offset $2 of file $1.
read_le() {
    od -An -t "u$3" -j "$2" -N "$3" --endian=little "$1" | tr -d ' '
}

# Write the ELF vmlinux inside bzImage $1 to $2 (boot protocol >= 2.08: payload_offset/length).
extract_vmlinux() {
    local bz="$1" out="$2" setup_sects start length magic
    if [ "$(od -An -c -j $((0x202)) -N 4 "$bz" | tr -d ' ')" != "HdrS" ]; then
        echo "install-qemu: $bz is not a bzImage" >&2
        return 1
    fi
    setup_sects="$(read_le "$bz" $((0x1f1)) 1)"
    if [ "$setup_sects" = 0 ]; then
        setup_sects=4
    fi
    start=$(( (setup_sects + 1) * 512 + $(read_le "$bz" $((0x248)) 4) ))
    length="$(read_le "$bz" $((0x24c)) 4)"
    magic="$(od -An -t x1 -j "$start" -N 4 "$bz" | tr -d ' ')"
    # The payload ends with the 4-byte decompressed size (scripts/Makefile.lib size_append).
    payload() {
        dd if="$bz" bs=64K iflag=skip_bytes,count_bytes skip="$start" count="$1" status=none
    }
    case "$magic" in
        fd377a58) payload "$length" | xz -dc --single-stream >"$out" ;;
        28b52ffd) payload $((length - 4)) | zstd -dcq >"$out" ;;
        1f8b*) payload $((length - 4)) | gzip -dc >"$out" ;;
        *)
            echo "install-qemu: $bz: unknown payload compression (magic $magic)" >&2
            return 1
            ;;
    esac
    if [ "$(od -An -c -N 4 "$out" | tr -d ' ')" != "177ELF" ]; then
        echo "install-qemu: $bz: the payload is not an ELF image" >&2
        return 1
    fi
}

# Fetch the newest package whose name matches $2 (an extended regex) into $CACHE/$1.
fetch_kernel() {
    local name="$1" pattern="$2" dest="$CACHE/$1" pkg tmp uname_r
    if [ -s "$dest/vmlinux" ] && [ -s "$dest/vmlinuz" ] && [ -s "$dest/release" ] &&
        [ -d "$dest/modules" ]; then
        echo "$name: $dest/vmlinuz ($(tail -n 1 "$dest/release"), cached)"
        return 0
    fi
    apt_update_once
    pkg="$(apt-cache search --names-only "^${pattern}\$" | cut -d' ' -f1 | sort -V | tail -n 1)"
    if [ -z "$pkg" ]; then
        echo "install-qemu: no package matching ^${pattern}\$ in this machine's apt sources" >&2
        return 1
    fi
    tmp="$(mktemp -d "$CACHE/.fetch-$name.XXXXXX")"
    trap "rm -rf '$tmp'" EXIT
    chmod 755 "$tmp"
    (cd "$tmp" && apt-get -o APT::Sandbox::User=root download -qq "$pkg")
    mkdir -p "$tmp/root"
    dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp/root" --wildcards './boot/vmlinuz-*' \
        './boot/config-*' './lib/modules/*/kernel/fs/pstore/*' './lib/modules/*/kernel/lib/*'
    mkdir -p "$tmp/out"
    mv "$tmp"/root/lib/modules/*/kernel "$tmp/out/modules"
    uname_r="$(basename "$tmp"/root/boot/vmlinuz-*)"
    uname_r="${uname_r#vmlinuz-}"
    mv "$tmp"/root/boot/vmlinuz-* "$tmp/out/vmlinuz"
    mv "$tmp"/root/boot/config-* "$tmp/out/config"
    extract_vmlinux "$tmp/out/vmlinuz" "$tmp/out/vmlinux"
    # Line 1: the kernel release (uname -r); line 2: the package and its version.
    printf '%s\n%s %s\n' "$uname_r" "$pkg" "$(dpkg-deb -f "$tmp"/*.deb Version)" >"$tmp/out/release"
    rm -rf "$dest"
    mv "$tmp/out" "$dest"
    rm -rf "$tmp"
    trap - EXIT
    echo "$name: $dest/vmlinuz ($(tail -n 1 "$dest/release"))"
}

# Debian's busybox-static, unpacked (not installed: it conflicts with the busybox package).
fetch_busybox() {
    local dest="$CACHE/busybox-static" tmp
    if [ -x "$dest/busybox" ]; then
        echo "busybox-static: $dest/busybox (cached)"
        return 0
    fi
    apt_update_once
    tmp="$(mktemp -d "$CACHE/.fetch-busybox.XXXXXX")"
    trap "rm -rf '$tmp'" EXIT
    chmod 755 "$tmp"
    (cd "$tmp" && apt-get -o APT::Sandbox::User=root download -qq busybox-static)
    mkdir -p "$tmp/root" "$tmp/out"
    dpkg-deb -x "$tmp"/*.deb "$tmp/root"
    mv "$tmp/root/bin/busybox" "$tmp/out/busybox"
    rm -rf "$dest"
    mv "$tmp/out" "$dest"
    rm -rf "$tmp"
    trap - EXIT
    echo "busybox-static: $dest/busybox"
}

mkdir -p "$CACHE"
fetch_busybox
fetch_kernel stock-6.1 'linux-image-6\.1\.0-[0-9]+-amd64-unsigned'
fetch_kernel mainline-6.12 'linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned'
qemu-system-x86_64 --version | head -n 1
