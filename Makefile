# One command to run, one to test. Both create the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-services bench install dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## run: set up, migrate the embedded SQLite database and serve on http://127.0.0.1:8000 (in-process worker)
run: install
	$(BIN)/taxrecon migrate
	$(BIN)/taxrecon serve

## test: set up and run the whole suite (SQLite; services tests skip when absent)
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

## bench: run the benchmark scripts (prints figures beside their baselines)
bench: install
	for f in tests/bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache
