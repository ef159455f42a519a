#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6.21 supports 3.8-3.10 only).
# Order: $PYTHON310, python3.10 on PATH, pyenv's 3.10.x, ~/.pyenv and /root/.pyenv.
set -u
is_310() { [ -x "$1" ] && "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }

candidates=()
[ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if [ -z "${PYTHON310_SEARCH_ROOTS:-}" ] && command -v pyenv >/dev/null 2>&1; then
  for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | sort -V -r); do
    candidates+=("$(pyenv root)/versions/$version/bin/python")
  done
fi
# PYTHON310_SEARCH_ROOTS lets the tests hide this machine's interpreters.
for root in ${PYTHON310_SEARCH_ROOTS:-${PYENV_ROOT:-} $HOME/.pyenv /root/.pyenv}; do
  [ -n "$root" ] || continue
  for path in $(ls -d "$root"/versions/3.10*/bin/python 2>/dev/null | sort -V -r); do candidates+=("$path"); done
done

for candidate in "${candidates[@]}"; do
  if is_310 "$candidate"; then echo "$candidate"; exit 0; fi
done

cat >&2 <<'MSG'
ERROR: Python 3.10 was not found. Rasa Open Source 3.6.21 runs on Python 3.8-3.10 only.
Install one, then run the command again:
  - with pyenv:   pyenv install 3.10.13
  - on Debian/Ubuntu (deadsnakes or a distribution that ships it): apt-get install python3.10 python3.10-venv
  - or point to an existing interpreter:  PYTHON310=/path/to/python3.10 make run
MSG
exit 1
