#!/usr/bin/env bash
# The cluster (scripts/stack/cluster.py, tests/e2e/test_cluster.py) runs Debian's nginx and redis-server
# as its own processes on loopback: make sure the binaries are here. The system services the
# packages start on install are stopped and disabled: nothing listens beyond what we start.
set -euo pipefail
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> Installing ${missing[*]} (Debian packages) for the cluster"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  for service in "${missing[@]}"; do
    if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
      systemctl disable --now "$service" >/dev/null 2>&1 || true
    else  # containers without systemd: the package's init script started it
      service "$service" stop >/dev/null 2>&1 || true
    fi
  done
else
  echo "Missing for the cluster: ${missing[*]}. Install them (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
