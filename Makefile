# The two commands a newcomer needs:  make up  (the platform with the demo province)  and  make test.
# Both create the virtual environment .venv first; .venv/bin/hotline is the CLI.

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: install up down status test lint bench

$(STAMP): pyproject.toml bench/pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]' -e ./bench  # the benchmarks: not in the wheel
	touch $(STAMP)

install: $(STAMP)

up: $(STAMP)
	$(VENV)/bin/hotline up

down: $(STAMP)
	$(VENV)/bin/hotline down

status: $(STAMP)
	$(VENV)/bin/hotline status

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(VENV)/bin/hotline bench provision
