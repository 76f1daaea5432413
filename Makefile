# One command each: `make run` (set up + serve the embedded default), `make test` (set up + the
# whole suite). Everything installs into .venv; nothing global but what `apt` gives.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install -q -c constraints.txt
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve setup setup-test setup-memory test test-fast lint format migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The light install: what the embedded default needs (no PyTorch, no ChromaDB).
$(VENV)/.setup: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	@touch $@

setup: $(VENV)/.setup

# Memory for Premium/VIP on the embedded default: CPU PyTorch first (a file on this machine;
# from PyPI elsewhere), so sentence-transformers does not pull a multi-GB CUDA build.
$(VENV)/.setup-memory: $(VENV)/.setup
	$(PIP) torch==2.13.0
	$(PIP) -e '.[memory]'
	@touch $@

setup-memory: $(VENV)/.setup-memory

tools/firebase/node_modules/.installed: tools/firebase/package-lock.json
	npm ci --prefix tools/firebase --no-audit --no-fund --loglevel=error
	@touch $@

$(VENV)/.setup-test: $(VENV)/.setup-memory
	$(PIP) -e '.[memory,test,bench]'
	@touch $@

setup-test: $(VENV)/.setup-test tools/firebase/node_modules/.installed

migrate: setup
	$(BIN)/alembic upgrade head

seed: setup
	$(BIN)/python scripts/seed_characters.py

## make run: set up, migrate the SQLite database, seed characters, serve on http://127.0.0.1:8000
run: migrate seed
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT)

## make test: set up everything the suite needs and run it (SQLite + PostgreSQL + Redis + emulator)
test: setup-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup-test
	$(BIN)/ruff check app tests scripts bench migrations/env.py
	$(BIN)/ruff format --check app tests scripts bench migrations/env.py
	$(BIN)/mypy

format: setup-test
	$(BIN)/ruff check --fix app tests scripts bench migrations/env.py
	$(BIN)/ruff format app tests scripts bench migrations/env.py

clean:
	rm -rf $(VENV) tools/firebase/node_modules .pytest_cache .mypy_cache .ruff_cache
