# The two set-up commands of the README, and a few more.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config.toml

.PHONY: install dev run test lint bench demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

# Installs and runs the bot (SQLite file in ./data by default). Needs BOT_TOKEN.
run: install
	@test -f $(CONFIG) || cp config.example.toml $(CONFIG)
	$(BIN)/python -m bot --config $(CONFIG)

# Installs and runs every test, then the linters and the layer contracts.
test: dev
	$(BIN)/python -m pytest
	$(MAKE) lint

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# A scripted day against the fake Telegram server, printed as each person saw it.
demo: dev
	$(BIN)/python -m tests.e2e.demo

bench: dev
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/bench_worktime.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
