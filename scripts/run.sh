#!/usr/bin/env bash
# Start the assistant: action server + Rasa server, both on 127.0.0.1, SQLite tracker store.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/train.sh

set -a; . ./.env; set +a
export RASA_PORT=${RASA_PORT:-5005}
export ACTION_SERVER_PORT=${ACTION_SERVER_PORT:-5055}
export TRACKER_DB=${TRACKER_DB:-var/tracker.db}
export RASA_TELEMETRY_ENABLED=${RASA_TELEMETRY_ENABLED:-false}
export SANIC_HOST=127.0.0.1   # the action server has no authentication: loopback only
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p var/log

# Readiness probe without curl: the venv's Python is always there.
ready() { .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" 2>/dev/null; }

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

.venv/bin/rasa run actions --port "$ACTION_SERVER_PORT" --actions actions >var/log/actions.log 2>&1 &
pids+=($!)
.venv/bin/rasa run --enable-api --auth-token "$RASA_AUTH_TOKEN" -i 127.0.0.1 -p "$RASA_PORT" \
  --model models --credentials credentials.yml --endpoints endpoints.yml >var/log/rasa.log 2>&1 &
pids+=($!)

echo "==> Starting (about a minute: TensorFlow and the French spaCy model load)…"
for _ in $(seq 1 240); do
  if ready "http://127.0.0.1:$RASA_PORT/status?token=$RASA_AUTH_TOKEN" && ready "http://127.0.0.1:$ACTION_SERVER_PORT/health"; then
    cat <<MSG

Médiation Accueil is running.
  Rasa HTTP API   http://127.0.0.1:$RASA_PORT   (token in .env: RASA_AUTH_TOKEN)
  Action server   http://127.0.0.1:$ACTION_SERVER_PORT
  Conversations   $TRACKER_DB (SQLite)       Logs: var/log/

Talk to it over the REST channel:
  curl -s http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -d '{"sender": "moi", "message": "Bonjour"}'
or in a terminal:  make shell
Stop with Ctrl-C.
MSG
    wait -n "${pids[@]}"
    echo "A server stopped; see var/log/." >&2
    exit 1
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "A server failed to start; see var/log/." >&2; tail -20 var/log/*.log >&2; exit 1; }
  done
  sleep 1
done
echo "Timed out waiting for the servers; see var/log/." >&2
exit 1
