# Chromium and its driver for the dashboard's browser test (assembly's DashboardIT), from Debian:
# Selenium drives /usr/bin/chromium (headless) through /usr/bin/chromedriver. A browser that a
# test tool downloads by itself cannot be fetched on these machines.
zs_peer_chromium() {
  zs_apt_install chromium chromium-driver
}
