# The two commands a newcomer runs: `make demo` and `make test`. Each creates .venv on first use;
# `make demo` installs only what the demo needs, `make test` adds the development tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
DEMO_STAMP := $(VENV)/demo.stamp
DEV_STAMP := $(VENV)/dev.stamp
# checkov pins its own boto3, older than ours: it gets a virtual environment of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/checkov.stamp

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(DEMO_STAMP): requirements-demo.txt | $(BIN)/python
	$(PIP) -r requirements-demo.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt requirements-demo.txt | $(BIN)/python
	$(PIP) -r requirements-dev.txt
	touch $@ $(DEMO_STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

demo: $(DEMO_STAMP)
	$(BIN)/python demo.py

lint: $(DEV_STAMP) $(CHECKOV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict handle_expiring_certificates.py
	@# parliament 1.6.4, its latest release, predates acm:SearchCertificates and calls it an
	@# unknown action; it would scope rds:DescribeDBInstances to DB instances, its only resource
	@# type, which "*" grants no more of (one request describes every instance). Any other
	@# finding fails the build (tests/test_least_privilege.py too, which accepts the same two).
	@# .parliament.yaml says why one check is muted.
	$(BIN)/parliament --config .parliament.yaml < iam_policy.json \
		| grep -vF -e "Unknown action -  - Unknown action acm:SearchCertificates" \
			-e "Unnecessary use of Resource * -  - ['rds:DescribeDBInstances']" | (! grep .)
	$(BIN)/cfn-lint template.yaml
	@# Offline: no download of checkov's policies, no call home; skips carry their reasons.
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

test: lint
	$(BIN)/python -m pytest -q -n 2

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.scan_bench

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
