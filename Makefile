# SPRO — developer tasks. `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Database used by `make run`. Flask-SQLAlchemy resolves relative SQLite paths
# against the app's instance folder, so give an absolute path.
SPRO_DATABASE_URL ?= sqlite:///$(CURDIR)/instance/spro.sqlite
HOST ?= 127.0.0.1
PORT ?= 5000

# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-x -k queue"`.
PYTEST_ARGS ?=

WITH_POSTGRES := bash scripts/with_postgres.sh

NODE_STAMP := node_modules/.installed

.PHONY: help venv run test test-sqlite test-postgres bench

help: ## List the targets
	@echo "Usage: make TARGET [VAR=value ...]"
	@echo
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'
	@echo
	@echo "Variables: SPRO_DATABASE_URL (run; default $(SPRO_DATABASE_URL)),"
	@echo "           HOST/PORT (run; default $(HOST):$(PORT)), PYTEST_ARGS (test), PYTHON (venv)"

venv: $(STAMP) ## Create .venv and install the project with the dev extras

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]'
	@touch $@

# Front-end packages from the npm registry (package-lock.json): bpmn-js and dmn-js for the studio's
# editors, axe-core for the browser tests.
$(NODE_STAMP): package.json package-lock.json
	@bash scripts/ensure_node.sh
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

run: venv $(NODE_STAMP) ## Migrate, seed the demo data (prints the logins), start the worker and serve on 127.0.0.1:5000
	@mkdir -p instance
	SPRO_DATABASE_URL='$(SPRO_DATABASE_URL)' $(BIN)/spro db upgrade
	SPRO_DATABASE_URL='$(SPRO_DATABASE_URL)' $(BIN)/spro seed-demo
	@echo "Worker (timers, notifications) started in the background; the app serves http://$(HOST):$(PORT)"
	SPRO_DATABASE_URL='$(SPRO_DATABASE_URL)' SPRO_PUBLIC_URL="$${SPRO_PUBLIC_URL:-http://$(HOST):$(PORT)}" \
		SPRO_WORKER_INTERVAL_SECONDS=5 $(BIN)/spro worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	SPRO_DATABASE_URL='$(SPRO_DATABASE_URL)' SPRO_SECURE_COOKIES=false $(BIN)/spro serve --host $(HOST) --port $(PORT)

# Both suites always run; the target fails if either fails.
test: venv $(NODE_STAMP) ## Run the test suite on SQLite, then on a throwaway PostgreSQL
	@bash scripts/ensure_chromium.sh
	@status=0; \
	$(MAKE) --no-print-directory test-sqlite || status=1; \
	$(MAKE) --no-print-directory test-postgres || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED (see above)" >&2; fi; \
	exit $$status

# The SQLite run ignores any database URL from the caller's environment.
test-sqlite: venv ## Run the test suite on SQLite only
	@echo "==> pytest on SQLite"
	env -u SPRO_DATABASE_URL -u SPRO_TEST_DATABASE_URL $(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-postgres: venv ## Run the test suite on a throwaway PostgreSQL only
	@echo "==> pytest on PostgreSQL"
	$(WITH_POSTGRES) $(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: venv ## Run bench/complete_task.py on SQLite, then on PostgreSQL
	@echo "==> bench on SQLite"
	env -u SPRO_DATABASE_URL -u SPRO_TEST_DATABASE_URL $(BIN)/python bench/complete_task.py
	@echo "==> bench on PostgreSQL"
	$(WITH_POSTGRES) $(BIN)/python bench/complete_task.py
