#!/usr/bin/env bash
# Chat with the assistant in the terminal (starts its own action server).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/train.sh
export ACTION_SERVER_PORT=${ACTION_SERVER_PORT:-5055} TRACKER_DB=${TRACKER_DB:-var/tracker.db} SANIC_HOST=127.0.0.1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
# The tracker store encrypts conversations with the key setup.sh wrote into .env (docs/security.md).
if [ -z "${TRACKER_ENCRYPTION_KEYS:-}" ]; then
  TRACKER_ENCRYPTION_KEYS=$(sed -n 's/^TRACKER_ENCRYPTION_KEYS=//p' .env | tail -n 1)
  export TRACKER_ENCRYPTION_KEYS
fi
if ! .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
     "http://127.0.0.1:$ACTION_SERVER_PORT/health" 2>/dev/null; then
  .venv/bin/python -m rasa_sdk --port "$ACTION_SERVER_PORT" --actions actions >var/log/actions-shell.log 2>&1 &
  trap 'kill $! 2>/dev/null || true' EXIT
fi
.venv/bin/rasa shell --model models --endpoints endpoints.yml
