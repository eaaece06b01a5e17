# shellcheck shell=bash
# Shared helpers for the test image recipes (sourced by test/harness/images/*/build.sh).
#
# Images are built from files already on this machine and `docker import`ed: no registry, no
# `FROM`, no network. The rootfs is tarred with sorted names, a fixed mtime and root ownership so
# the same host packages always give the same layer.

# Fail fast on anything unexpected; each build.sh runs in its own bash process.
set -euo pipefail

: "${DOCKER:=docker}"

# A merged-/usr skeleton like Debian's, so binaries copied from the host find their libraries and
# loader at the paths `ldd` reports.
rootfs_init() {
  local root=$1
  mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,usr/lib64,etc,proc,sys,dev,run,var,root,tmp}
  ln -s usr/bin "$root/bin"
  ln -s usr/sbin "$root/sbin"
  ln -s usr/lib "$root/lib"
  ln -s usr/lib64 "$root/lib64"
  ln -s ../run "$root/var/run"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

# busybox-static gives the image sh, httpd, wget, nc and friends in one static binary.
install_busybox() {
  local root=$1 bb applet
  bb=$(readlink -f "$(command -v busybox)")
  install -m 0755 "$bb" "$root/usr/bin/busybox"
  for applet in $("$bb" --list); do
    [[ -e $root/usr/bin/$applet || -L $root/usr/bin/$applet ]] || ln -s busybox "$root/usr/bin/$applet"
  done
}

# Copy host files to the same path inside the rootfs, plus every shared library `ldd` resolves
# for them (libraries are copied dereferenced, under the name the loader asks for).
copy_with_libs() {
  local root=$1 f lib
  shift
  for f in "$@"; do
    mkdir -p "$root$(dirname "$f")"
    # rm first: the target may be a busybox applet symlink (setpriv), which cp would follow.
    rm -f "$root$f"
    cp -L "$f" "$root$f"
  done
  # ldd exits non-zero when one of the files is not dynamic (scripts, static binaries): fine.
  while IFS= read -r lib; do
    [[ -e $root$lib ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done < <({ ldd "$@" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | sort -u)
}

# Tar the rootfs deterministically and import it. Remaining args are `--change` instructions.
import_rootfs() {
  local root=$1 tag=$2 change
  shift 2
  local args=()
  for change in "$@"; do args+=(--change "$change"); done
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -C "$root" -cf - . |
    "$DOCKER" import "${args[@]}" - "$tag" >/dev/null
}

# A temp dir removed when the build script exits, whatever happens.
make_workdir() {
  BUILD_WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/ikt-image-build.XXXXXX")
  trap 'rm -rf "$BUILD_WORKDIR"' EXIT
}
