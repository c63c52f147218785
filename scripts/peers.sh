# Sourced by scripts/test: installs and starts the real peers the tests talk to.
# Each peer is one file in scripts/peers.d/ defining zs_peer_<name>; every step is idempotent
# and every peer listens on 127.0.0.1 only.

zs_apt_install() {
  # Installs the given Debian packages if any is missing.
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "zeroscale: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "zeroscale: need root to run: apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

zs_require_maven() {
  command -v mvn >/dev/null 2>&1 || zs_apt_install maven
}

zs_start_peers() {
  local peer
  for peer in scripts/peers.d/*.sh; do
    [ -e "$peer" ] || continue
    # shellcheck disable=SC1090
    source "$peer"
  done
  for fn in $(declare -F | awk '{print $3}' | grep '^zs_peer_' | sort); do
    "$fn"
  done
}
