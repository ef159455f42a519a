#!/usr/bin/env bash
# The shared channel state (bot/channels/shared_store.py) is tested against Redis: make sure
# Debian's server binary is here (the tests start their own throwaway server on loopback).
set -euo pipefail
if command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> Installing Redis (Debian package) for the shared channel state tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  # Debian starts a server on 6379 on install; the tests do not need it.
  (command -v systemctl >/dev/null && systemctl stop redis-server) 2>/dev/null \
    || (command -v service >/dev/null && service redis-server stop) 2>/dev/null || true
else
  echo "Redis is missing: install it (sudo apt-get install redis-server) or set TEST_REDIS_URL" >&2
  exit 1
fi
