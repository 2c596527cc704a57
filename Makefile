# SEC Portal. `make run` serves the demo; `make test` runs the whole suite. See README.md.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

# `make run PORT=8001` serves on another port; links in emails (SITE_URL) follow it.
PORT ?= 8000
# Demo values for `make run` (never used in production, which reads the real environment).
RUN_ENV := DEBUG=true SECRET_KEY=demo-only-secret-key-not-for-production-0123456789 \
	SECPORTAL_REQUIRE_MFA=false SECURE_SSL_REDIRECT=false SITE_URL=http://127.0.0.1:$(PORT)

.PHONY: help venv run migrate seed test lint format vendor bench clean

help:
	@echo "make run    - install, migrate, load demo data and serve http://127.0.0.1:8000 with Celery (PORT=8001 for another port)"
	@echo "make test   - the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)"
	@echo "make lint   - ruff lint and format check"
	@echo "make bench  - the performance benchmark (not part of make test)"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@python_bin=$$(scripts/find_python.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then \
		echo "Creating $(VENV) with $$python_bin ($$($$python_bin --version))"; \
		rm -rf $(VENV); $$python_bin -m venv $(VENV) || exit 1; \
	fi
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

migrate: venv
	$(RUN_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(RUN_ENV) $(PY) manage.py seed_demo

run: seed
	@$(RUN_ENV) PORT=$(PORT) scripts/run.sh

test: venv node_modules/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Copy Bootstrap from node_modules into static/vendor (the copy is committed: no CDN, no npm at run time).
vendor: node_modules/.installed
	cp node_modules/bootstrap/dist/css/bootstrap.min.css* static/vendor/bootstrap/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js* static/vendor/bootstrap/

# The benchmark needs the machine's PostgreSQL and Redis, and wrk (installed here if missing).
bench: venv
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) node_modules var staticfiles db.sqlite3 .pytest_cache
