#!/usr/bin/env bash
# The agenda's concurrency test also runs on PostgreSQL: make sure Debian's server
# binaries are here (the tests start their own throwaway cluster on loopback).
set -euo pipefail
if command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> Installing PostgreSQL (Debian package) for the agenda tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  # Debian starts a cluster on 5432 on install; the tests do not need it.
  (command -v pg_ctlcluster >/dev/null && pg_ctlcluster --force "$(ls /usr/lib/postgresql | tail -1)" main stop) 2>/dev/null || true
else
  echo "PostgreSQL is missing: install it (sudo apt-get install postgresql) or set TEST_DATABASE_URL" >&2
  exit 1
fi
