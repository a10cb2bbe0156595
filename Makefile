# The two commands a newcomer runs: `make demo` and `make test`. Each creates .venv on first use;
# `make demo` installs only what the demo needs, `make test` adds the development tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
DEMO_STAMP := $(VENV)/demo.stamp
DEV_STAMP := $(VENV)/dev.stamp

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(DEMO_STAMP): requirements-demo.txt | $(BIN)/python
	$(PIP) -r requirements-demo.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt requirements-demo.txt | $(BIN)/python
	$(PIP) -r requirements-dev.txt
	touch $@ $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/python demo.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict handle_expiring_certificates.py
	$(BIN)/parliament < iam_policy.json
	$(BIN)/cfn-lint template.yaml

test: lint
	$(BIN)/python -m pytest -q -n 2

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.scan_bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
