#!/usr/bin/env bash
# Write the local secrets into .env (or the file given as $1): each one only when it
# is absent, never overwriting a value already there. Called by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
env_file=${1:-.env}
python=.venv/bin/python

new_token() { "$python" -c 'import secrets; print(secrets.token_urlsafe(32))'; }
if [ ! -f "$env_file" ]; then
  printf '# Local secrets, never committed.\nRASA_AUTH_TOKEN=%s\n' "$(new_token)" > "$env_file"
  chmod 600 "$env_file"
  echo "==> Created $env_file with a fresh RASA_AUTH_TOKEN"
fi
if ! grep -q '^AGENDA_TOKEN=' "$env_file"; then
  printf 'AGENDA_TOKEN=%s\nAGENDA_ADMIN_TOKEN=%s\n' "$(new_token)" "$(new_token)" >> "$env_file"
  echo "==> Added AGENDA_TOKEN and AGENDA_ADMIN_TOKEN to $env_file"
fi
if ! grep -q '^WIDGET_SECRET=' "$env_file"; then
  # Signs the website widget's session tokens (bot/channels/widget.py) and the
  # development tokens of the mobile app API (bot/channels/app.py).
  printf 'WIDGET_SECRET=%s\nAPP_JWT_SECRET=%s\n' "$(new_token)" "$(new_token)" >> "$env_file"
  echo "==> Added WIDGET_SECRET and APP_JWT_SECRET to $env_file"
fi
if ! grep -q '^TRACKER_ENCRYPTION_KEYS=' "$env_file"; then
  # Encrypts the stored conversations (bot/privacy/crypto.py); rotation: docs/security.md.
  printf 'TRACKER_ENCRYPTION_KEYS=%s\n' "$("$python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" >> "$env_file"
  echo "==> Added TRACKER_ENCRYPTION_KEYS to $env_file"
fi
if ! grep -q '^CONVERSATION_ID_KEY=' "$env_file"; then
  # Pseudonymous conversation ids of Messenger, WhatsApp and Twilio (bot/privacy/pseudonyms.py):
  # the url-safe base64 of 64 random bytes (an AES-SIV-256 key). Changing it starts new conversations.
  printf 'CONVERSATION_ID_KEY=%s\n' "$("$python" -c 'import secrets; print(secrets.token_urlsafe(64))')" >> "$env_file"
  echo "==> Added CONVERSATION_ID_KEY to $env_file"
fi
if ! grep -q '^ACTION_SERVER_TOKEN=' "$env_file"; then
  # The action server's shared secret: Rasa sends it (endpoints.yml), bot/servers/action_server.py
  # refuses any request without it.
  printf 'ACTION_SERVER_TOKEN=%s\n' "$(new_token)" >> "$env_file"
  echo "==> Added ACTION_SERVER_TOKEN to $env_file"
fi
if ! grep -q '^AGENDA_SECRET_KEY=' "$env_file"; then
  # Keys the stored booking codes and calendar links (bot/agenda/references.py). Changing it
  # invalidates every booking's code: keep it with the agenda's database backups.
  printf 'AGENDA_SECRET_KEY=%s\n' "$(new_token)" >> "$env_file"
  echo "==> Added AGENDA_SECRET_KEY to $env_file"
fi
