#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the locked dependencies in ONE pip
# resolution (rasa + spaCy 3.8 + fr_core_news_md must be resolved together).
# Re-runs only when requirements.txt or requirements.lock change. Creates .env
# (scripts/make_env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

stamp_value=$(cat requirements.txt requirements.lock | sha256sum | cut -c1-16)
stamp=.venv/.installed-$stamp_value
if [ ! -f "$stamp" ]; then
  python=$(scripts/find_python310.sh)
  echo "==> Setting up .venv with $python (first run takes a few minutes)"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements.lock \
    2> >(grep -v -e "is neither a file nor a directory" -e "DEPRECATION" -e "pip 23.1 will enforce" >&2)
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Local secrets (.env): each generated once, never overwritten.
scripts/make_env.sh
mkdir -p var models reports
# Postal codes -> communes, départements, régions (pinned dataset, see the script).
.venv/bin/python -m scripts.fetch_geo
# The website widget's socket.io client (served by bot/channels/widget.py), from widget/package-lock.json.
if [ ! -f widget/node_modules/socket.io-client/dist/socket.io.min.js ]; then
  if command -v npm >/dev/null; then
    echo "==> Installing the website widget's socket.io client (npm ci)"
    (cd widget && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
  else
    echo "==> Note: the website widget needs Node.js and npm (sudo apt-get install nodejs npm, then make run again);" \
         "the other channels work without it." >&2
  fi
fi
