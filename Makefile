# The two commands a newcomer runs: `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(INSTALLED): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/python demo.py

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict handle_expiring_certificates.py
	$(BIN)/parliament < iam_policy.json
	$(BIN)/cfn-lint template.yaml

test: lint
	$(BIN)/python -m pytest -q -n 2

bench: $(INSTALLED)
	$(BIN)/python bench/scan_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
