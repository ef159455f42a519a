#!/usr/bin/env bash
# Train the model only when it is missing or stale (any training input changed).
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's own NLU components are trained too: their code (a threshold, a feature) and the
# files they read (bot/safety/*.yml, the situation model's own sentences) are inputs; a unit test
# (tests/unit/scripts/test_bench.py) finds every .yml those components name and checks it is here.
fingerprint=$(cat config.yml domain.yml requirements.lock $(find data -type f -name '*.yml' | sort) \
  bot/intake/situation_training.yml bot/intake/situation_long_tail.yml \
  $(find bot/rasa_plugins bot/safety bot/language -type f \( -name '*.py' -o -name '*.yml' \) | sort) | sha256sum | cut -c1-16)
if [ -f models/.fingerprint ] && [ "$(cat models/.fingerprint)" = "$fingerprint" ] && ls models/*.tar.gz >/dev/null 2>&1; then
  echo "==> Model is up to date ($(ls -t models/*.tar.gz | head -1))"
  exit 0
fi
echo "==> Training the model (a few minutes on 2 cores)"
rm -f models/*.tar.gz
# Rasa reuses the components of earlier trainings kept in .rasa/cache: a training with a warm
# cache is not a training from scratch, and the benchmark must not compare it as one.
cache=cold
[ -n "$(ls -A "${RASA_CACHE_DIRECTORY:-.rasa/cache}" 2>/dev/null)" ] && cache=warm
start=$(date +%s)
.venv/bin/rasa train --quiet --fixed-model-name mediation-accueil --out models
echo "$fingerprint" > models/.fingerprint
seconds=$(( $(date +%s) - start ))
echo "$seconds" > models/.training_seconds
# For `make bench`, which reports the last training instead of training again.
mkdir -p reports
printf '{"seconds": %s, "date": "%s", "fingerprint": "%s", "cache": "%s"}\n' "$seconds" \
  "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "$fingerprint" "$cache" > reports/training.json
echo "==> Trained in $seconds s (Rasa's training cache was $cache)"
