#!/usr/bin/env bash
# Chat with the assistant in the terminal (starts its own action server).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/train.sh
export ACTION_SERVER_PORT=${ACTION_SERVER_PORT:-5055} TRACKER_DB=${TRACKER_DB:-var/tracker.db} SANIC_HOST=127.0.0.1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
# The tracker store encrypts conversations with the key setup.sh wrote into .env (docs/security.md).
# The action server's shared secret likewise (bot/servers/action_server.py, endpoints.yml).
for name in TRACKER_ENCRYPTION_KEYS ACTION_SERVER_TOKEN; do
  if [ -z "${!name:-}" ]; then
    value=$(sed -n "s/^$name=//p" .env | tail -n 1)
    export "$name=$value"
  fi
done
umask 077  # conversations and logs: this user only
mkdir -p var/log
if ! .venv/bin/python -c "import os, sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], headers={'X-Action-Token': os.environ['ACTION_SERVER_TOKEN']}), timeout=2)" \
     "http://127.0.0.1:$ACTION_SERVER_PORT/health" 2>/dev/null; then
  .venv/bin/python -m bot.servers.action_server --port "$ACTION_SERVER_PORT" --actions actions >var/log/actions-shell.log 2>&1 &
  trap 'kill $! 2>/dev/null || true' EXIT
fi
.venv/bin/rasa shell --model models --endpoints endpoints.yml
