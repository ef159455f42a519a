#!/usr/bin/env bash
# Start the assistant: action server + Rasa server, both on 127.0.0.1, SQLite tracker store.
# Sets itself up and trains first when needed; the launcher is scripts/stack/servers.py,
# the same one the integration tests and the benchmark use.
set -euo pipefail
umask 077  # var/ (conversations, agenda, logs) readable by this user only
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/train.sh
exec .venv/bin/python -m scripts.stack.servers
