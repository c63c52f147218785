# Schemathesis 4 (API fuzzing against the daemon's /openapi.json, see scripts/api-fuzz.sh).
zs_peer_schemathesis() {
  if command -v schemathesis >/dev/null 2>&1 && schemathesis --version 2>/dev/null | grep -q 'version 4\.'; then
    return 0
  fi
  echo "zeroscale: installing schemathesis 4 (pip install 'schemathesis>=4,<5')"
  # A Debian system Python refuses user installs (PEP 668) unless told otherwise.
  python3 -m pip install -q 'schemathesis>=4,<5' 2>/dev/null \
    || python3 -m pip install -q --break-system-packages 'schemathesis>=4,<5' || {
      echo "zeroscale: could not install schemathesis; run: python3 -m pip install 'schemathesis>=4,<5'" >&2
      return 1
    }
  hash -r
  command -v schemathesis >/dev/null 2>&1 || {
    echo "zeroscale: schemathesis is installed but not on PATH; add python3's scripts directory to PATH" >&2
    return 1
  }
}
