# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VENDORED := gateway/static/vendor/manifest.json
# Exactly these versions, checked against their hashes: the runtime's, and the runtime's
# plus the test tools'. `make lock` makes both from pyproject.toml.
LOCK := requirements.lock
TEST_LOCK := requirements-test.lock
# pytest's workers (pytest-xdist): one per core of the two-core machine the suite is timed on.
WORKERS ?= 2
LATEST := .venv-latest

.PHONY: run test check quick lint typecheck bench lock test-latest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# GraphiQL's assets: `npm ci` with the committed lock file into assets/node_modules/, the
# files the page loads copied into gateway/static/vendor/ (both git-ignored). The package
# build runs the same step when they are missing (setup.py), so `pip install .` needs no make.
$(VENDORED): assets/package.json assets/package-lock.json assets/.npmrc assets/vendor.py
	$(PYTHON) assets/vendor.py --force

# The locked runtime, then the project itself without dependencies (all of them are locked).
$(VENV)/.installed: $(LOCK) pyproject.toml setup.py | $(BIN)/python $(VENDORED)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# The test lock holds the runtime lock's versions and the test tools; setuptools and wheel
# are among them, so the project builds without fetching anything unlocked.
$(VENV)/.installed-test: $(TEST_LOCK) pyproject.toml setup.py | $(BIN)/python $(VENDORED)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(TEST_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
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
	@$(MAKE) --no-print-directory check

# The suite, the layering contracts, the linter, the formatter and the type checker on
# whatever $(VENV) holds.
check:
	$(BIN)/python -m pytest -n $(WORKERS)
	$(BIN)/lint-imports --no-logo
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# While editing, in under a minute: the unit and integration tiers on SQLite (no PostgreSQL,
# no server process, no browser). `make test` runs everything.
quick: $(VENDORED) $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -n $(WORKERS) -m "not slow and not postgres" tests/unit tests/integration

# Both lock files from pyproject.toml, with hashes. Versions already locked stay unless the
# bounds exclude them; `make lock UPGRADE=1` takes the newest the bounds allow. The runtime
# lock starts from the test lock, so the two agree on every version they share.
COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)
lock: $(VENV)/.installed-test
	$(COMPILE) --extra test -o $(TEST_LOCK) pyproject.toml
	cp $(TEST_LOCK) $(LOCK)
	$(COMPILE) -o $(LOCK) pyproject.toml

# Drift found on purpose: the newest versions the bounds allow, in a venv of their own,
# through the whole suite. The README records when it last passed.
test-latest: $(VENDORED) $(CLIENTS)/node_modules/.package-lock.json
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[test]'
	@$(MAKE) --no-print-directory check VENV=$(LATEST)

# Benchmarks against the local PostgreSQL and Redis; rewrites bench/RESULTS.md.
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run

lint: $(VENV)/.installed-test
	$(BIN)/lint-imports --no-logo
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(LATEST) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
	rm -rf assets/node_modules gateway/static/vendor
