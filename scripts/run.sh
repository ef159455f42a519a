#!/usr/bin/env bash
# Start the assistant: action server + Rasa server, both on 127.0.0.1, SQLite tracker store.
# Sets itself up and trains first when needed; the launcher is scripts/stack/servers.py,
# the same one the integration tests and the benchmark use.
set -euo pipefail
umask 077  # var/ (conversations, agenda, logs) readable by this user only
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/train.sh
# Where the agenda's e-mails go (docs/booking.md, « Messages »).
smtp_url=${SMTP_URL:-$(sed -n 's/^SMTP_URL=//p' .env 2>/dev/null | tail -n 1)}
if [ -z "$smtp_url" ]; then
  echo "==> No SMTP_URL: the agenda's e-mails are written under var/mail/ (not sent)."
else
  echo "==> The agenda's e-mails are sent through SMTP_URL (${smtp_url%%://*}://…)."
fi
exec .venv/bin/python -m scripts.stack.servers
