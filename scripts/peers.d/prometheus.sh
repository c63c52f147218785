# Prometheus for metrics-prometheus's integration tests. Only the Debian package is needed: each
# test starts its own server on a free loopback port over data it backfills with promtool.
zs_peer_prometheus() {
  zs_apt_install prometheus
}
