# Set-up and checks. Each target creates the virtualenv it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PIP_DISABLE_PIP_VERSION_CHECK := 1

BENCH_VENV ?= .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-stamp

# axe-core, for the accessibility tests (tests/browser/test_axe.py), pinned in
# tests/browser/package.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: demo test pytest lint typecheck docs tox bench screenshots axe clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## make demo: install, migrate a SQLite database, load demo data, serve on 127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/python sample_site/manage.py migrate --noinput
	$(BIN)/python sample_site/manage.py load_demo
	$(BIN)/python sample_site/manage.py runserver 127.0.0.1:8000

## make test: the whole suite with 100 % branch coverage, then lint, type checks and the docs
test: pytest lint typecheck docs

pytest: $(STAMP) axe
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest $(PYTEST_ARGS)
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy maintenance_waffle tests sample_site benchmarks docs/_ext

## make docs: the documentation site in docs/_build/html (Sphinx), its generated reference
## pages first; any warning, a broken internal link included, fails the build
docs: $(STAMP)
	$(BIN)/python docs/_ext/mw_reference.py --write
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

## make tox: the Python x Django matrix (Python 3.10-3.13 from pyenv)
tox: $(STAMP)
	PYENV_VERSION=3.11.7:3.10.13:3.12.1:3.13.0 $(BIN)/tox run-parallel --parallel-no-spinner

## make axe: install axe-core with npm; without npm (or the registry), say so and go on:
## the accessibility tests are then skipped, with the reason
axe: $(AXE)

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "npm not found: the axe accessibility tests will be skipped"; \
	elif (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error); then \
		touch $@; \
	else \
		echo "npm ci failed in tests/browser: the axe accessibility tests will be skipped"; \
	fi

## make screenshots: the browser tests, saving their screenshots in docs/screenshots
screenshots: $(STAMP) axe
	MAINTENANCE_WAFFLE_SCREENSHOTS=1 $(BIN)/pytest -q -p no:cacheprovider tests/browser

## make bench: maintenance_waffle side by side with a bare stack and django-maintenance-mode,
## then the state's cost as a targeted group grows to 1,000,000 members (PostgreSQL),
## and the cost of the check before each Celery task
$(BENCH_STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e ".[celery]" "django-maintenance-mode==0.23.0" redis "psycopg[binary]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python benchmarks/bench.py $(BENCH_ARGS)
	$(BENCH_VENV)/bin/python benchmarks/propagation.py
	$(BENCH_VENV)/bin/python benchmarks/scale.py $(BENCH_SCALE_ARGS)
	$(BENCH_VENV)/bin/python benchmarks/celery_tasks.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) .tox .coverage .coverage.* .mypy_cache .ruff_cache \
		tests/browser/node_modules docs/_build
