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

run: $(VENV)/.installed
	$(BIN)/jewgo serve

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# While editing: unit, integration and the end-to-end tests on SQLite, without the tests
# that start server processes or need PostgreSQL (`make test` runs everything).
quick: $(VENV)/.installed-test
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
