#!/usr/bin/env bash
# Prepare this machine for infrakt's integration tests: Debian packages, a running Docker engine,
# Docker Compose v2 (plugin) next to v1, and the local test images. Idempotent; when everything is
# already there it only checks (well under a minute). Nothing is pulled from a container registry.
#
# usage: scripts/test-setup.sh [--images-only] [--force-images]
#   --images-only   only (re)build test images whose recipe changed; needs a running engine
#   --force-images  rebuild the test images even when their recipe hash matches
#
# Env: INFRAKT_TEST_DOCKER (docker client to use), INFRAKT_DEBIAN_MIRROR (override the mirror
# used to fetch Compose v2 from trixie), DOCKER_HOST (use that engine; never started here).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGES_DIR=$ROOT/test/harness/images
DOCKERD_LOG=/var/log/infrakt-test-dockerd.log
PACKAGES=(docker.io docker-compose openssh-server caddy busybox-static chromium debootstrap
  redis-server redis-tools postgresql iproute2 iptables procps curl git
  restic mariadb-server-core mariadb-client openssl docker-registry pebble)
# tag | recipe dir. The web recipe serves the tag's version as its marker.
# web:3 and web:4 are web images that tests running a command in an app (app run, cron) rely on: tags other
# branches' setups do not rebuild to an older recipe while those tests run.
IMAGES=("infrakt-test/web:1|web" "infrakt-test/web:2|web" "infrakt-test/web:3|web" "infrakt-test/web:4|web"
  "infrakt-test/redis:7|redis" "infrakt-test/postgres:15|postgres" "infrakt-test/mariadb:10.11|mariadb"
  "infrakt-test/caddy:2|caddy")

mode=all
force_images=0
for arg in "$@"; do
  case $arg in
    --images-only) mode=images ;;
    --force-images) force_images=1 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' && exit 0 ;;
    *) echo "test-setup: unknown option $arg (see --help)" >&2 && exit 2 ;;
  esac
done

started=$(date +%s%N)
say() { printf '[test-setup] %s\n' "$*"; }
die() {
  printf '[test-setup] error: %s\n' "$*" >&2
  exit 1
}
is_root() { [[ $(id -u) -eq 0 ]]; }

# Concurrent runs (several engineers, parallel test files) would race on dockerd and image tags.
# Long-lived children (dockerd) must not inherit fd 9, or the lock is held for their lifetime.
LOCK_FILE=/tmp/infrakt-test-setup-$(id -u).lock
exec 9>>"$LOCK_FILE"
flock -w 300 9 || die "timed out waiting for another test-setup run (lock $LOCK_FILE)"

# --- Debian packages ---------------------------------------------------------------------------
ensure_packages() {
  local installed missing=() p
  installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PACKAGES[@]}" 2>/dev/null | awk '$1 == "ii" { print $2 }' || true)
  for p in "${PACKAGES[@]}"; do
    grep -qxF "$p" <<<"$installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    say "packages: all ${#PACKAGES[@]} present"
    return
  fi
  if ! is_root; then
    die "missing Debian packages: ${missing[*]}
  install them with:  sudo apt-get install -y ${missing[*]}
  then run this script again (as root it installs them itself)."
  fi
  say "packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q -o DPkg::Lock::Timeout=300 "${missing[@]}"; then
    say "packages: install failed, refreshing package lists once"
    apt-get update -q -o DPkg::Lock::Timeout=300
    apt-get install -y -q -o DPkg::Lock::Timeout=300 "${missing[@]}"
  fi
}

# --- Docker engine and client ------------------------------------------------------------------
# /usr/local/bin/docker on these machines is a lone client shadowing docker.io's /usr/bin/docker:
# prefer the packaged client unless told otherwise.
pick_docker_client() {
  if [[ -n ${INFRAKT_TEST_DOCKER:-} ]]; then
    DOCKER=$INFRAKT_TEST_DOCKER
  elif [[ -x /usr/bin/docker ]]; then
    DOCKER=/usr/bin/docker
  else
    DOCKER=$(command -v docker) || die "no docker client found (install docker.io)"
  fi
  export DOCKER
}

engine_version() { timeout 10 "$1" version --format '{{.Server.Version}}' 2>/dev/null; }

ensure_engine() {
  local v deadline
  if v=$(engine_version "$DOCKER"); then
    say "docker engine: running ($v, client $DOCKER)"
    return
  fi
  [[ $mode == all ]] || die "no Docker engine answers; run scripts/test-setup.sh (as root) first"
  [[ -z ${DOCKER_HOST:-} ]] || die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine or unset DOCKER_HOST"
  is_root || die "no Docker engine answers ($("$DOCKER" version 2>&1 | tail -n 1)) and I am not root: start one (sudo dockerd), join the docker group, or run this script with sudo"
  # Not pgrep: dockerd processes inside test containers (nested Docker) are visible from here.
  if [[ -s /var/run/docker.pid ]] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    say "docker engine: dockerd (pid $(cat /var/run/docker.pid)) is running but not answering yet, waiting"
  else
    say "docker engine: starting dockerd in the background (log $DOCKERD_LOG)"
    # setsid: dockerd must outlive this script and the test run that called it.
    setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
  fi
  deadline=$((SECONDS + 60))
  until v=$(engine_version "$DOCKER"); do
    if ((SECONDS >= deadline)); then
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "dockerd did not answer within 60 s (log $DOCKERD_LOG)"
    fi
    sleep 0.2
  done
  say "docker engine: up ($v)"
}

# Tests run `docker` through PATH too (e.g. over ssh): say whether that client works as well.
check_path_client() {
  local c
  c=$(command -v docker || true)
  [[ -n $c && $c != "$DOCKER" ]] || return 0
  if engine_version "$c" >/dev/null; then
    say "docker client on PATH: $c also talks to the engine"
  else
    say "warning: $c (first on PATH) cannot talk to the engine; tests use $DOCKER (set INFRAKT_TEST_DOCKER to change)"
  fi
}

# --- Docker Compose v2 from Debian trixie --------------------------------------------------------
# The Debian mirror this system already uses (deb822 .sources or one-line .list), for its release.
debian_mirror() {
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  {
    awk -v code="$codename" 'BEGIN { RS = ""; FS = "\n" } {
      types = ""; uris = ""; suites = ""; enabled = "yes"
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^Types:/) { types = $i; sub(/^Types:[ \t]*/, "", types) }
        if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
        if ($i ~ /^Suites:/) { suites = $i; sub(/^Suites:[ \t]*/, "", suites) }
        if ($i ~ /^Enabled:[ \t]*no/) enabled = "no"
      }
      if (enabled == "yes" && (" " types " ") ~ / deb / && (" " suites " ") ~ (" " code " ")) { split(uris, u, " "); print u[1] }
    }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
    awk -v code="$codename" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ } if ($(i + 1) == code) print $i }' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true
  } | head -n 1
}

compose_plugin_dir() {
  if is_root; then echo /usr/local/lib/docker/cli-plugins; else echo "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"; fi
}

ensure_compose_v2() {
  local v mirror keyring work dir
  if v=$("$DOCKER" compose version --short 2>/dev/null); then
    say "compose v2: present ($v)"
    return
  fi
  mirror=${INFRAKT_DEBIAN_MIRROR:-$(debian_mirror)}
  mirror=${mirror:-http://deb.debian.org/debian}
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  dir=$(compose_plugin_dir)
  say "compose v2: fetching docker-compose from trixie at $mirror (private apt state, system apt untouched)"
  work=$(mktemp -d /tmp/infrakt-compose-v2.XXXXXX)
  # shellcheck disable=SC2064 # expand $work now
  trap "rm -rf '$work'" EXIT
  mkdir -p "$work"/{lists/partial,cache/archives/partial,sources.d,prefs.d,conf.d}
  printf 'deb [signed-by=%s] %s trixie main\n' "$keyring" "$mirror" >"$work/sources.list"
  # Keep the system's apt settings (proxies, validity checks) but drop its hooks: they act on
  # the system cache (e.g. docker-clean deletes /var/cache/apt/*.bin after every update).
  cp /etc/apt/apt.conf.d/* "$work/conf.d/" 2>/dev/null || true
  [[ ! -f /etc/apt/apt.conf ]] || cp /etc/apt/apt.conf "$work/conf.d/00system-apt.conf"
  cat >"$work/conf.d/zz-infrakt-private" <<EOF
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
#clear DPkg::Pre-Invoke;
#clear DPkg::Post-Invoke;
Acquire::Languages "none";
EOF
  cat >"$work/apt.conf" <<EOF
Dir::Etc::parts "$work/conf.d";
Dir::Etc::main "$work/none.conf";
Dir::Etc::SourceList "$work/sources.list";
Dir::Etc::SourceParts "$work/sources.d";
Dir::Etc::Preferences "$work/preferences";
Dir::Etc::PreferencesParts "$work/prefs.d";
Dir::State::Lists "$work/lists";
Dir::Cache "$work/cache";
APT::Sandbox::User "root";
EOF
  APT_CONFIG=$work/apt.conf apt-get -q update >"$work/update.log" 2>&1 ||
    { cat "$work/update.log" >&2; die "apt-get update for trixie failed"; }
  (cd "$work" && APT_CONFIG=$work/apt.conf apt-get -q download docker-compose >"$work/download.log" 2>&1) ||
    { cat "$work/download.log" >&2; die "apt-get download docker-compose (trixie) failed"; }
  dpkg-deb -x "$work"/docker-compose_*.deb "$work/x"
  [[ -x $work/x/usr/libexec/docker/cli-plugins/docker-compose ]] || die "trixie docker-compose has no cli plugin"
  install -D -m 0755 "$work/x/usr/libexec/docker/cli-plugins/docker-compose" "$dir/docker-compose"
  v=$("$DOCKER" compose version --short) || die "installed $dir/docker-compose but 'docker compose version' fails"
  say "compose v2: installed $v into $dir ($(basename "$work"/docker-compose_*.deb))"
}

check_compose_v1() {
  local v
  v=$(docker-compose version --short 2>/dev/null) || die "docker-compose (v1) does not run; install the docker-compose package"
  say "compose v1: present ($v)"
}

# --- test images ---------------------------------------------------------------------------------
# A recipe's hash covers its files, the shared lib, the tag and the host packages it copies from,
# so an image is rebuilt exactly when something that goes into it changed.
recipe_hash() {
  local tag=$1 dir=$2
  {
    echo "$tag"
    (cd "$IMAGES_DIR" && find lib.sh "$dir" -type f -print0 | sort -z | xargs -0 sha256sum)
    echo "$HOST_INPUTS"
  } | sha256sum | cut -c1-16
}

label_of() { "$DOCKER" image inspect -f '{{index .Config.Labels "infrakt.test.recipe"}}' "$@" 2>/dev/null; }

ensure_images() {
  local i entry tag dir want have t0 ms size out tags=() labels=() built=0
  HOST_INPUTS=$(dpkg-query -W -f='${Package} ${Version}\n' busybox-static redis-server redis-tools postgresql-15 \
    postgresql-client-15 libc6 util-linux \
    mariadb-server-core mariadb-client mariadb-client-core 2>/dev/null || true)
  for entry in "${IMAGES[@]}"; do tags+=("${entry%%|*}"); done
  # One inspect for all tags when they all exist (the common, fast case).
  if out=$(label_of "${tags[@]}"); then mapfile -t labels <<<"$out"; fi
  for i in "${!IMAGES[@]}"; do
    tag=${tags[$i]}
    dir=${IMAGES[$i]#*|}
    want=$(recipe_hash "$tag" "$dir")
    have=${labels[$i]-$(label_of "$tag" || true)}
    if [[ $have == "$want" && $force_images == 0 ]]; then
      say "image $tag: up to date ($want)"
      continue
    fi
    t0=$(date +%s%N)
    DOCKER=$DOCKER bash "$IMAGES_DIR/$dir/build.sh" "$tag" "$want"
    ms=$((($(date +%s%N) - t0) / 1000000))
    size=$("$DOCKER" image inspect -f '{{.Size}}' "$tag")
    say "image $tag: built in ${ms} ms, $((size / 1024 / 1024)) MiB (recipe $want)"
    built=1
  done
  # Each rebuild leaves the previous image untagged: remove those of ours only.
  if ((built)); then "$DOCKER" image prune -f --filter label=infrakt.test.recipe >/dev/null 2>&1 || true; fi
}

# --- main ----------------------------------------------------------------------------------------
if [[ $mode == all ]]; then
  ensure_packages
  if is_root && [[ ! -d /run/sshd ]]; then
    mkdir -p /run/sshd && say "sshd: created privilege-separation dir /run/sshd"
  fi
fi
for tool in busybox redis-server; do
  command -v "$tool" >/dev/null || die "$tool missing: run scripts/test-setup.sh (as root) first"
done
[[ -x /usr/lib/postgresql/15/bin/postgres ]] || die "postgresql-15 missing: run scripts/test-setup.sh (as root) first"
[[ -x /usr/sbin/mariadbd ]] || die "mariadb-server-core missing: run scripts/test-setup.sh (as root) first"

pick_docker_client
ensure_engine
if [[ $mode == all ]]; then
  check_path_client
  ensure_compose_v2
  check_compose_v1
  say "caddy: $(caddy version | cut -d' ' -f1)"
fi
ensure_images
say "done in $((($(date +%s%N) - started) / 1000000)) ms"
