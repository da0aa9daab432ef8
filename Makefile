# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VENDORED := gateway/static/vendor/manifest.json

.PHONY: run test quick lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# GraphiQL's assets: `npm ci` with the committed lock file into assets/node_modules/, the
# files the page loads copied into gateway/static/vendor/ (both git-ignored). The package
# build runs the same step when they are missing (setup.py), so `pip install .` needs no make.
$(VENDORED): assets/package.json assets/package-lock.json assets/.npmrc assets/vendor.py
	$(PYTHON) assets/vendor.py --force

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python $(VENDORED)
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml setup.py | $(BIN)/python $(VENDORED)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# npm clients the tests run against a live gateway, pinned by the committed lock file.
# Without npm they are not installed (their tests skip, or fail with REQUIRE_SERVICES=1).
CLIENTS := tests/clients
$(CLIENTS)/node_modules/.package-lock.json: $(CLIENTS)/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix $(CLIENTS) --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the tests of npm clients will not run"; fi

run: $(VENDORED) $(VENV)/.installed
	$(BIN)/jewgo serve

test: $(VENDORED) $(VENV)/.installed-test $(CLIENTS)/node_modules/.package-lock.json
	$(BIN)/python -m pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# While editing: unit, integration and the end-to-end tests on SQLite, without the tests
# that start server processes or need PostgreSQL (`make test` runs everything).
quick: $(VENDORED) $(VENV)/.installed-test $(CLIENTS)/node_modules/.package-lock.json
	$(BIN)/python -m pytest -q -n 2 -m "not slow and not postgres"

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
	rm -rf assets/node_modules gateway/static/vendor
