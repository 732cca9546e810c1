# Beacon: `make run` starts the embedded default; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := webapp

.PHONY: run test lint bench bench-compare soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# The instance folder holds the key, the databases and exports: only its owner reads them.
instance/secret_key:
	mkdir -p -m 700 instance
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@

run: $(STAMP) instance/secret_key
	$(BIN)/flask db upgrade
	$(BIN)/flask beacon seed
	$(BIN)/flask beacon run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# Minutes-long load and fault tests (tests/soak/), left out of `make test`.
soak: $(STAMP)
	$(BIN)/python -m pytest tests/soak -m soak -s $(PYTEST_ARGS)

# Beacon's cost against raw baselines (raw SQL, Redis, Huey, Socket.IO): writes bench/RESULTS.md.
# Adds PostgreSQL/Redis rows when TEST_DATABASE_URL / TEST_REDIS_URL are set.
bench: $(STAMP)
	$(BIN)/python -m bench.run

# The same, for BASE (a git revision) and then the working tree, back to back.
bench-compare: $(STAMP)
	BASE=$(BASE) bash bench/compare.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) instance tests/artifacts .pytest_cache
