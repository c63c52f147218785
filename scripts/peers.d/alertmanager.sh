# Alertmanager for the alert sinks' integration test (assembly's AlertsIT). Only the Debian package
# is needed: the test starts its own on a free loopback port with a temporary config and storage.
zs_peer_alertmanager() {
  zs_apt_install prometheus-alertmanager
}
