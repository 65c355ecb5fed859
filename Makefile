# Two commands on a fresh machine: `make run` (SQLite, console channel, demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench

$(BIN)/los: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/los

install: $(BIN)/los

run: install
	$(BIN)/los migrate
	$(BIN)/los demo
	LOS_CONSOLE=1 $(BIN)/los serve

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy bot handlers scheduler storage tests bench
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m bench
