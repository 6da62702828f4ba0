# Taskloom: `make run` sets up .venv and serves on the embedded SQLite; `make test` sets up and runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
# The PostgreSQL server the database tests run against a second time (a scratch database is made on it).
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: setup run test test-sqlite test-postgres lint migrations bench drills

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: setup
	$(BIN)/taskloom serve

lint: setup
	$(BIN)/ruff check .

# Everything on SQLite and the in-process broker, then the database tests again on PostgreSQL
# (separate processes: Tortoise holds one SQL dialect per process).
test: lint test-sqlite test-postgres

test-sqlite: setup
	TASKLOOM_TEST_DATABASE_URL= $(BIN)/pytest

test-postgres: setup
	TASKLOOM_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -m db

# After changing domain/models.py: write the next migration for both engines.
migrations: setup
	$(BIN)/python -m migrations make $(or $(NAME),update)

# Fault drills (bench/drills.py): worker kill -9, Redis down, PostgreSQL restarted, on private instances (2 to 4 min).
drills: setup
	$(BIN)/python bench/drills.py

# Taskloom against hand-written Dramatiq and Celery peers on the local PostgreSQL and Redis: one table (bench/README.md).
bench: setup
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/suite.py --rounds 3
