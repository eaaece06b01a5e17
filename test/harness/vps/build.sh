#!/usr/bin/env bash
# infrakt-test/vps — a "fresh VPS": Debian trixie minbase + systemd + OpenSSH, nothing else that
# provisioning installs (no Docker, Caddy, UFW, fail2ban). Booted with systemd as PID 1 by
# test/harness/vps/start-vps.ts. Built by scripts/test-setup-vps.sh, which computes the hash.
#
# usage: build.sh <tag> <recipe-hash> <mirror-url> [apt-proxy-url]
#   mirror-url     the Debian mirror this machine's apt uses (e.g. http://deb.debian.org/debian)
#   apt-proxy-url  apt-cacher-ng on the Docker bridge, baked into the image as Acquire::http::Proxy
#                  (it stands in for a cloud provider's local mirror; re-runs are served from cache)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${DOCKER:=docker}"

tag=${1:?usage: build.sh <tag> <hash> <mirror> [proxy]}
hash=${2:?usage: build.sh <tag> <hash> <mirror> [proxy]}
mirror=${3:?usage: build.sh <tag> <hash> <mirror> [proxy]}
proxy=${4:-}
suite=trixie
# What a cloud image has before anyone provisions it; python3-systemd so that fail2ban's systemd
# backend needs no extra package (real cloud images differ: provisioning installs it anyway).
packages=(systemd systemd-sysv dbus openssh-server sudo python3-systemd iptables nftables procps
  iproute2 curl ca-certificates)

# Self-contained (no shared lib): the recipe hash covers exactly the files in this directory.
BUILD_WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/ikt-vps-build.XXXXXX")
root=$BUILD_WORKDIR/rootfs
mounted=()
cleanup() {
  local m
  for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$BUILD_WORKDIR"
}
trap cleanup EXIT

say() { printf '[vps-build] %s\n' "$*"; }
if [[ -n $proxy ]]; then export http_proxy=$proxy; fi

say "debootstrap $suite minbase from $mirror${proxy:+ via $proxy}"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$BUILD_WORKDIR/debootstrap.log" 2>&1 ||
  { tail -n 30 "$BUILD_WORKDIR/debootstrap.log" >&2; exit 1; }

mount -t proc proc "$root/proc" && mounted+=("$root/proc")
mount --bind /dev "$root/dev" && mounted+=("$root/dev")
# No daemon may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

cat >"$root/etc/apt/sources.list" <<SRC
deb $mirror $suite main
deb $mirror $suite-updates main
SRC
if [[ -n $proxy ]]; then
  printf 'Acquire::http::Proxy "%s";\n' "$proxy" >"$root/etc/apt/apt.conf.d/01proxy"
fi

say "chroot install: ${packages[*]}"
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
  "apt-get -q update && apt-get -q install -y --no-install-recommends $(printf '%q ' "${packages[@]}")" \
  >"$BUILD_WORKDIR/install.log" 2>&1 || { tail -n 30 "$BUILD_WORKDIR/install.log" >&2; exit 1; }

# Our files: sshd policy, host-key generation on first boot, masked units, journald settings.
cp -a "$here/rootfs/." "$root/"
chown -R 0:0 "$root/etc/ssh/sshd_config.d" "$root/etc/systemd/system"

# Units that make no sense in a container (no devices, no consoles, no seats) are masked, so the
# boot reaches multi-user.target cleanly and `systemctl is-system-running` says "running".
for unit in systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
  systemd-udev-trigger.service systemd-udev-settle.service getty@tty1.service \
  console-getty.service getty.target systemd-logind.service systemd-remount-fs.service \
  systemd-firstboot.service systemd-modules-load.service sys-kernel-config.mount \
  sys-kernel-debug.mount sys-kernel-tracing.mount sys-fs-fuse-connections.mount \
  systemd-sysctl.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
  systemd-hwdb-update.service systemd-networkd-wait-online.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
chroot "$root" systemctl enable ssh.service >/dev/null 2>&1

# A fresh machine: no host keys (generated on first boot by the ssh.service drop-in), no
# machine-id (systemd makes one), no root password, no apt lists or cached debs.
rm -f "$root"/etc/ssh/ssh_host_*
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
chroot "$root" passwd -l root >/dev/null
mkdir -p -m 0700 "$root/root/.ssh"
rm -f "$root/usr/sbin/policy-rc.d"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
printf 'vps\n' >"$root/etc/hostname"

for m in "${mounted[@]}"; do umount -l "$m"; done
mounted=()

say "docker import $tag"
tar --numeric-owner --xattrs -C "$root" -cf - . |
  "$DOCKER" import --change 'CMD ["/sbin/init"]' --change 'ENV container=docker' \
    --change "LABEL infrakt.test.recipe=$hash" - "$tag" >/dev/null
