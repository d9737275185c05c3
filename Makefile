# The two commands a new user runs: `make demo` and `make test`. Both create the
# environment first (python3 -m venv + pip, pinned by constraints.txt).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# aws-sam-cli pins its own boto3 and cfn-lint, so it lives in a venv of its own.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed

.PHONY: demo test lint typecheck unit bench reliability screenshots clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

$(SAM_STAMP):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==1.170.0
	touch $(SAM_STAMP)

demo: $(STAMP)
	$(BIN)/winback simulate examples/demo/scenario.json --out out/demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(SAM_STAMP)
	$(BIN)/pytest

# The reliability report: a 10,000-event storm and two fault runs (about 10 minutes).
reliability: $(STAMP)
	$(BIN)/winback reliability

bench: $(STAMP)
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/ingestion.py
	$(BIN)/python bench/cost_model.py
	$(BIN)/python bench/throughput.py

screenshots: $(STAMP)
	$(BIN)/python -m winback.local.browser docs

clean:
	rm -rf $(VENV) $(SAM_VENV) out .aws-sam .pytest_cache .mypy_cache .ruff_cache
