# The two commands a new user runs: `make demo` and `make test`. Both create the
# environment first (python3 -m venv + pip, pinned by constraints.txt).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench screenshots clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/winback simulate examples/demo/scenario.json --out out/demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/unpaid_orders.py

screenshots: $(STAMP)
	$(BIN)/python -m winback.local.browser docs

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
