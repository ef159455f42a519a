# Médiation Accueil. `make run` and `make test` set everything up on first use.
.PHONY: run run-cluster test setup train validate unit stories eval bench shell purge rotate clean

export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
RASA := .venv/bin/rasa

run:
	scripts/run.sh

# Two Rasa replicas and two action servers behind nginx, on PostgreSQL and Redis, all on
# 127.0.0.1; data kept in var/cluster/. Deployment for an operator: docs/deploy.md.
run-cluster: setup train
	scripts/ensure_postgres.sh
	scripts/ensure_cluster_packages.sh
	.venv/bin/python -m scripts.stack.cluster

test: setup train validate
	scripts/ensure_postgres.sh
	scripts/ensure_cluster_packages.sh
	scripts/ensure_browser.sh
	.venv/bin/python -m pytest tests
	$(MAKE) stories

setup:
	scripts/setup.sh

train: setup
	scripts/train.sh

validate: setup
	$(RASA) data validate --fail-on-warnings --quiet

unit: setup
	.venv/bin/python -m pytest tests/unit

stories: train
	ACTION_SERVER_PORT=5055 ACTION_SERVER_TOKEN=unused TRACKER_DB=var/test-tracker.db $(RASA) test core --model models \
	  --stories tests/stories --fail-on-prediction-errors --out reports/core
	@.venv/bin/python -c "import glob, yaml; n = sum(len(yaml.safe_load(open(f))['stories']) for f in glob.glob('tests/stories/*.yml')); print(f'Rasa test stories: {n} passed, 0 failed')"

eval: train
	.venv/bin/python -m scripts.bench.eval_nlu

bench: train
	scripts/ensure_postgres.sh
	scripts/ensure_cluster_packages.sh
	.venv/bin/python -m scripts.bench.run

shell:
	scripts/shell.sh

# Retention (RETENTION_DAYS, default 30) and key rotation of the stored conversations: docs/security.md.
purge: setup
	.venv/bin/python -m bot.privacy purge

rotate: setup
	.venv/bin/python -m bot.privacy rotate
	.venv/bin/python -m bot.agenda rotate-keys

clean:
	rm -rf models/*.tar.gz models/.fingerprint reports var/*.db .rasa .pytest_cache
