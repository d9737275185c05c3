# The two commands a new user runs: `make demo` and `make test`. Both create the
# environment first (python3.12 -m venv + pip, pinned by constraints.txt).
# winback runs on Python 3.12, as its Lambda runtime does: python3.12 on PATH, or pyenv's.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /opt/homebrew/bin/python3.12; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
NEED_PYTHON = $(if $(PYTHON),,$(error winback needs Python 3.12 (python3.12 on PATH): e.g. `pyenv install 3.12`, \
	`apt install python3.12 python3.12-venv` or `brew install python@3.12`, or make PYTHON=/path/to/python3.12))
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# aws-sam-cli pins its own boto3 and cfn-lint, so it lives in a venv of its own.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed

.PHONY: demo test lint typecheck unit bench reliability screenshots build-check clean

$(STAMP): pyproject.toml constraints.txt
	$(NEED_PYTHON)
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

$(SAM_STAMP):
	$(NEED_PYTHON)
	$(PYTHON) -m venv --clear $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==1.170.0
	touch $(SAM_STAMP)

demo: $(STAMP)
	$(BIN)/winback simulate examples/demo/scenario.json --out out/demo
	@echo
	@echo "Win-back: 300 customers with two years of orders, 60 days of RFM (about a minute)"
	$(BIN)/winback simulate examples/winback/scenario.json --out out/winback
	@echo
	@echo "Measurement: 150 unpaid orders, 30 % held out, shoppers who buy more after an email"
	$(BIN)/winback simulate examples/measurement/scenario.json --out out/measurement
	$(BIN)/winback report --from out/measurement --out out/measurement/report

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Two workers (pytest-xdist), each test file on one of them, so a module's fixtures (the
# sam builds, a browser) are made once: the suite takes about half the time on 2 cores.
unit: $(STAMP) $(SAM_STAMP)
	$(BIN)/pytest -n 2 --dist loadfile

# sam build with the template's defaults (arm64, no Docker): each function's size, and what
# does not belong in Lambda. The tests make the same checks.
build-check: $(STAMP) $(SAM_STAMP)
	$(BIN)/winback artifact

# The reliability report: a 10,000-event storm and two fault runs (about 3 minutes).
reliability: $(STAMP)
	$(BIN)/winback reliability

# The performance figures (about 45 minutes): cold start from the built artifact, the
# simulation at 1,000 and 10,000 orders, the AWS cost per 1,000 orders and carts; each
# saves its figures in bench/results/ and bench/readme.py writes them into the README.
# Then the older benchmarks (ingestion, send rate, the RFM job), which print only.
bench: $(STAMP) $(SAM_STAMP)
	$(BIN)/python bench/cold_start.py --json bench/results/cold_start.json
	$(BIN)/python bench/throughput.py --sizes 1000 10000 --json bench/results/throughput.json
	$(BIN)/python bench/cost_model.py --json bench/results/cost.json
	$(BIN)/python bench/readme.py
	$(BIN)/python bench/ingestion.py
	$(BIN)/python bench/send_rate.py --emails 1000 --faults
	$(BIN)/python bench/rfm.py --contacts 20000  # the README's figures: --contacts 100000 (about 20 minutes)

screenshots: $(STAMP)
	$(BIN)/python -m winback_local.browser docs

clean:
	rm -rf $(VENV) $(SAM_VENV) out .aws-sam .pytest_cache .mypy_cache .ruff_cache
