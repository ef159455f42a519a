#!/usr/bin/env bash
# The website widget's browser test (tests/e2e/test_widget_browser.py) needs Debian's
# Chromium, Node.js with npm, and the widget's locked npm packages (socket.io-client,
# playwright-core, axe-core) in widget/node_modules. Installs whatever is missing;
# never downloads a browser build of its own (Playwright drives /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium fonts-liberation)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> Installing ${missing[*]} (Debian packages) for the widget's browser test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "The widget's browser test needs: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

# widget/node_modules from the lock, again whenever the lock is newer.
stamp=widget/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ widget/package-lock.json -nt "$stamp" ] || [ ! -d widget/node_modules/playwright-core ] || [ ! -d widget/node_modules/axe-core ]; then
  echo "==> Installing the widget's npm packages (npm ci)"
  (cd widget && npm ci --no-audit --no-fund --loglevel=error)
fi
