# Redis for samples/custom-plugin's tests. Only the Debian package is needed: each test starts its
# own redis-server on a free loopback port (no persistence) and stops it again.
zs_peer_redis() {
  zs_apt_install redis-server
  # The package starts a system service on port 6379; the tests never use it. Stop it so it does not
  # hold memory and a port for nothing (no-op where systemd/invoke-rc.d cannot manage it).
  if command -v redis-cli >/dev/null 2>&1 && redis-cli -p 6379 ping >/dev/null 2>&1; then
    service redis-server stop >/dev/null 2>&1 || true
  fi
}
