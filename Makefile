# Loa: every target creates .venv when it is missing and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint bench schema clean

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
	$(BIN)/ruff format --check worker cli.py tests bench
	$(BIN)/mypy

# After adding a migration: rewrite worker/schema.sql, the schema a new database is created with.
schema: $(STAMP)
	$(BIN)/python -c "from worker.store import SchemaSnapshot, SCHEMA_SNAPSHOT; SCHEMA_SNAPSHOT.write_text(SchemaSnapshot.build().text(), encoding='utf-8')"

# Every benchmark in bench/ (see bench/README.md); results land in data/bench/ (not committed).
bench: $(STAMP)
	mkdir -p data/bench
	bench/ensure-newsboat
	$(BIN)/python -m bench.sync_vs_newsboat --profile both \
		--json data/bench/sync_vs_newsboat.json --markdown data/bench/sync_vs_newsboat.md
	$(BIN)/python -m bench.publish_fanout \
		--json data/bench/publish_fanout.json --markdown data/bench/publish_fanout.md
	$(BIN)/python bench/dedupe_eval.py --speed > data/bench/dedupe_eval.txt && cat data/bench/dedupe_eval.txt

clean:
	rm -rf $(VENV) data/demo .pytest_cache .mypy_cache .ruff_cache
