# QuotaHit: `make run` serves the app, `make test` runs every test. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed

export PATH := $(BIN):$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export NEXT_TELEMETRY_DISABLED := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup system-deps run test lint unit e2e bench clean

# Reinstalls only when the pinned requirements or the project metadata change.
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

system-deps:
	bash scripts/system-deps.sh

run: setup
	$(BIN)/quotahit migrate
	$(BIN)/quotahit serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: setup
	$(BIN)/pytest tests/unit tests/integration

e2e: setup system-deps
	$(BIN)/pytest tests/e2e -p no:asyncio -W ignore::pytest.PytestConfigWarning

test: setup system-deps lint
	$(BIN)/pytest tests/unit tests/integration
	$(BIN)/pytest tests/e2e -p no:asyncio -W ignore::pytest.PytestConfigWarning

bench: setup system-deps
	$(BIN)/python bench/run.py

clean:
	rm -rf .web .states
