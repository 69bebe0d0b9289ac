# Loa: every target creates .venv when it is missing and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/loa demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check worker cli.py tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data/demo .pytest_cache .mypy_cache .ruff_cache
