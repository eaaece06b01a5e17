#!/usr/bin/env bash
# Build the "fresh VPS" test image (Debian trixie + systemd + OpenSSH, see test/harness/vps/)
# once per machine, and keep an apt cache (apt-cacher-ng) on the Docker bridge so that apt inside
# test VPS containers talks only to this host and re-runs are served from disk.
# Needs root and a running Docker engine (scripts/test-setup.sh starts one). Idempotent: when the
# image label matches the recipe hash it only checks (< 1 s).
#
# usage: scripts/test-setup-vps.sh [--force]
# Env: INFRAKT_TEST_DOCKER (docker client), INFRAKT_DEBIAN_MIRROR (mirror override),
#      INFRAKT_APT_CACHE_PORT (apt-cacher-ng port, default 3142), INFRAKT_VPS_IMAGE (tag).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VPS_DIR=$ROOT/test/harness/vps
TAG=${INFRAKT_VPS_IMAGE:-infrakt-test/vps:trixie}
ACNG_PORT=${INFRAKT_APT_CACHE_PORT:-3142}
ACNG_DIR=/var/lib/infrakt-test/apt-cacher-ng
force=0
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' && exit 0 ;;
    *) echo "test-setup-vps: unknown option $arg (see --help)" >&2 && exit 2 ;;
  esac
done

started=$(date +%s%N)
say() { printf '[test-setup-vps] %s\n' "$*"; }
die() {
  printf '[test-setup-vps] error: %s\n' "$*" >&2
  exit 1
}
[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot, mount): run it with sudo"

if [[ -n ${INFRAKT_TEST_DOCKER:-} ]]; then DOCKER=$INFRAKT_TEST_DOCKER; elif [[ -x /usr/bin/docker ]]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
export DOCKER
timeout 10 "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
  die "no Docker engine answers: run scripts/test-setup.sh first"

# Parallel test files and engineers call this: one build at a time per machine.
exec 8>>"/tmp/infrakt-test-setup-vps.lock"
flock -w 900 8 || die "timed out waiting for another test-setup-vps run"

# The mirror this system's apt uses (deb822 or one-line format), for its release.
debian_mirror() {
  {
    awk 'BEGIN { RS = ""; FS = "\n" } {
      types = ""; uris = ""; enabled = "yes"
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^Types:/) { types = $i; sub(/^Types:[ \t]*/, "", types) }
        if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
        if ($i ~ /^Enabled:[ \t]*no/) enabled = "no"
      }
      if (enabled == "yes" && (" " types " ") ~ / deb / && uris ~ /\/debian\/?$/) { split(uris, u, " "); print u[1] }
    }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
    awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ } if ($i ~ /\/debian\/?$/) print $i }' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true
  } | head -n 1
}

ensure_packages() {
  local missing=() p
  for p in debootstrap apt-cacher-ng; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
}

# apt-cacher-ng as a plain proxy (no remapping: the packaged remap points at ftp.debian.org, which
# this machine may not reach), bound to loopback and the Docker bridge only.
ensure_apt_cache() {
  local bridge_ip=$1
  if curl -s -o /dev/null --max-time 3 "http://$bridge_ip:$ACNG_PORT/acng-report.html"; then
    say "apt cache: apt-cacher-ng answers on $bridge_ip:$ACNG_PORT"
    return
  fi
  mkdir -p "$ACNG_DIR/conf" "$ACNG_DIR/log" /var/cache/apt-cacher-ng
  cat >"$ACNG_DIR/conf/acng.conf" <<CONF
CacheDir: /var/cache/apt-cacher-ng
LogDir: $ACNG_DIR/log
SupportDir: /usr/lib/apt-cacher-ng
Port: $ACNG_PORT
BindAddress: 127.0.0.1 $bridge_ip
PidFile: $ACNG_DIR/pid
ReportPage: acng-report.html
ExThreshold: 4
CONF
  say "apt cache: starting apt-cacher-ng on 127.0.0.1 and $bridge_ip:$ACNG_PORT"
  # 8>&-: the daemon must not inherit (and hold forever) the build lock on fd 8.
  setsid apt-cacher-ng -c "$ACNG_DIR/conf" ForeGround=0 </dev/null >>"$ACNG_DIR/log/start.log" 2>&1 8>&-
  local deadline=$((SECONDS + 15))
  until curl -s -o /dev/null --max-time 2 "http://$bridge_ip:$ACNG_PORT/acng-report.html"; do
    ((SECONDS < deadline)) || die "apt-cacher-ng did not come up (log $ACNG_DIR/log)"
    sleep 0.2
  done
}

recipe_hash() {
  {
    printf '%s\n' "$TAG" "$1" "$2"
    (cd "$VPS_DIR" && find build.sh rootfs -type f -print0 | sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-16
}

ensure_packages
bridge_name=$("$DOCKER" network inspect bridge -f '{{index .Options "com.docker.network.bridge.name"}}' 2>/dev/null || true)
bridge_ip=$(ip -4 -o addr show "${bridge_name:-docker0}" 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')
[[ -n $bridge_ip ]] || die "cannot find the Docker bridge address (${bridge_name:-docker0})"
ensure_apt_cache "$bridge_ip"
mirror=${INFRAKT_DEBIAN_MIRROR:-$(debian_mirror)}
mirror=${mirror:-http://deb.debian.org/debian}
proxy=http://$bridge_ip:$ACNG_PORT

want=$(recipe_hash "$mirror" "$proxy")
have=$("$DOCKER" image inspect -f '{{index .Config.Labels "infrakt.test.recipe"}}' "$TAG" 2>/dev/null || true)
if [[ $have == "$want" && $force == 0 ]]; then
  say "image $TAG: up to date ($want), $((($(date +%s%N) - started) / 1000000)) ms"
  exit 0
fi
t0=$(date +%s%N)
bash "$VPS_DIR/build.sh" "$TAG" "$want" "$mirror" "$proxy"
"$DOCKER" image prune -f --filter "label=infrakt.test.recipe" >/dev/null 2>&1 || true
size=$("$DOCKER" image inspect -f '{{.Size}}' "$TAG")
say "image $TAG: built in $((($(date +%s%N) - t0) / 1000000)) ms, $((size / 1024 / 1024)) MiB (recipe $want)"
