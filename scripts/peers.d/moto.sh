# moto's server (an AWS emulator) for orchestrator-aws's integration tests. Only installs it: each
# test starts its own `moto_server -H 127.0.0.1 -p <free port>` through testkit's MotoPeer and
# stops it again, so no state leaks between tests. Idempotent: pip runs only when moto_server is
# missing or not the pinned major version. Sourced by scripts/peers.sh.

ZS_MOTO_SPEC='moto[server]>=5.1,<6'

zs_moto_installed() {
  command -v moto_server >/dev/null 2>&1 && python3 -c 'import moto, sys; sys.exit(0 if moto.__version__.startswith("5.") else 1)' 2>/dev/null
}

zs_peer_moto() {
  zs_moto_installed && return 0
  command -v python3 >/dev/null 2>&1 || zs_apt_install python3 python3-pip || return 1
  echo "zeroscale: installing moto's server (python3 -m pip install '$ZS_MOTO_SPEC')"
  # A Debian system Python refuses installs outside a virtualenv (PEP 668) unless told otherwise.
  python3 -m pip install -q "$ZS_MOTO_SPEC" 2>/dev/null \
    || python3 -m pip install -q --break-system-packages "$ZS_MOTO_SPEC" || {
      echo "zeroscale: could not install moto; run: python3 -m pip install '$ZS_MOTO_SPEC'" >&2
      return 1
    }
  hash -r
  zs_moto_installed || {
    echo "zeroscale: moto is installed but moto_server is not on PATH; add python3's scripts directory to PATH" >&2
    return 1
  }
}
