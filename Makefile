# sitrep: `make run` sets everything up and runs the pipeline on the bundled samples;
# `make test` runs lint, types and the test suite.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Install with compiled bytecode: where PYTHONDONTWRITEBYTECODE is set no .pyc is ever
# written, and every command recompiles what it imports (`sitrep --help` 2-5 s instead of 0.7 s).
export UV_COMPILE_BYTECODE := 1

.PHONY: run test test-fast lint fmt typecheck pytest test-reliability bench ui clean help

help:
	@echo "make run    - install (first time) and run the pipeline on data/samples"
	@echo "make test   - ruff, mypy and pytest"
	@echo "make test-fast - pure unit tests (transforms, extraction, console) and the SQL views on a tiny warehouse: the inner loop"
	@echo "make test-reliability - crash, fault and bomb loops, two runs at once (under 15 min)"
	@echo "make bench  - benchmarks, results in bench/results/ (BENCH_ARGS=--large for 10M rows)"
	@echo "make ui     - a Prefect server on 127.0.0.1:4200 and the scheduled deployments"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(BIN)/sitrep: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

run: $(BIN)/sitrep
	$(BIN)/sitrep run

lint: $(BIN)/sitrep
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(BIN)/sitrep
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(BIN)/sitrep
	$(BIN)/mypy

pytest: $(BIN)/sitrep
	$(BIN)/pytest -m "not reliability" -n 2 --dist loadfile --durations=15

test: lint typecheck pytest

test-fast: $(BIN)/sitrep
	$(BIN)/pytest tests/unit tests/integration/test_views.py -n 2

test-reliability: $(BIN)/sitrep
	$(BIN)/pytest -m reliability

ui: $(BIN)/sitrep
	PREFECT_HOME=$(CURDIR)/.sitrep/prefect $(BIN)/sitrep serve --start-server

bench: $(BIN)/sitrep
	$(UV) sync --frozen --group bench --python $(PYTHON)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf .sitrep .pytest_cache .mypy_cache .ruff_cache
