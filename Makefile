# Two commands matter: `make run` (the whole system on embedded defaults) and `make test`.
# Each bootstraps what it needs from nothing: virtual environment, packages, Kafka jars.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint bootstrap clean

run: bootstrap
	$(BIN)/safeguard run

test: bootstrap
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bootstrap: $(INSTALLED)
	$(BIN)/safeguard stack fetch

# pip keeps its downloads in ~/.cache/pip and Maven in ~/.m2, so a second bootstrap is quick.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
