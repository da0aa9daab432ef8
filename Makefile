# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test quick lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# npm clients the tests run against a live gateway, pinned by the committed lock file.
# Without npm they are not installed (their tests skip, or fail with REQUIRE_SERVICES=1).
CLIENTS := tests/clients
$(CLIENTS)/node_modules/.package-lock.json: $(CLIENTS)/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix $(CLIENTS) --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the tests of npm clients will not run"; fi

run: $(VENV)/.installed
	$(BIN)/jewgo serve

test: $(VENV)/.installed-test $(CLIENTS)/node_modules/.package-lock.json
	$(BIN)/python -m pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# While editing: unit, integration and the end-to-end tests on SQLite, without the tests
# that start server processes or need PostgreSQL (`make test` runs everything).
quick: $(VENV)/.installed-test $(CLIENTS)/node_modules/.package-lock.json
	$(BIN)/python -m pytest -q -m "not slow and not postgres"

# Benchmarks against the local PostgreSQL and Redis; rewrites bench/RESULTS.md.
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
