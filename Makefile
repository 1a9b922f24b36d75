# StridePlan — every command a developer or CI needs. `make help` lists them.
# Needs Python 3.11 (or 3.12) and a C compiler (durable-rules builds from source); with npm, the
# studio's and the API docs' browser files come from frontend/package-lock.json (nothing is built).

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   ?= .venv
TOOLS  ?= .tools
UV_VERSION ?= 0.13.9
UV     := $(TOOLS)/bin/uv
BIN    := $(VENV)/bin
NPM    ?= npm
ASSETS := frontend/node_modules/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install run serve test check lint typecheck format pytest openapi rules-check rules-test schema golden bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python "$(PYTHON)"
	@touch $@

$(ASSETS): frontend/package.json frontend/package-lock.json
	@if command -v $(NPM) >/dev/null 2>&1; then \
	  $(NPM) ci --prefix frontend --no-audit --no-fund --loglevel=error && touch $@; \
	else \
	  echo "npm not found: the studio's and /docs' browser files are not installed;" \
	    "the API runs without them (install Node.js with npm, then run make install again)"; \
	fi

install: $(VENV)/.installed $(ASSETS) ## create .venv and frontend/node_modules from the lock files (reproducible)

run: install ## set up, migrate the SQLite database and serve the API on 127.0.0.1:8000
	$(BIN)/strideplan db upgrade
	$(BIN)/strideplan serve --host $(HOST) --port $(PORT)

serve: run

test: install ## set up and run every check: ruff, format, mypy --strict, pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

format: install ## reformat the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

openapi: install ## regenerate openapi/openapi.json from the app
	$(BIN)/python -m app.openapi > openapi/openapi.json

golden: install ## record the example plans (JSON and .ics) in tests/golden after an intended change
	$(BIN)/python -m tests.golden

schema: install ## regenerate rules/schema.json (the rule-file JSON Schema)
	$(BIN)/strideplan rules schema > rules/schema.json

rules-check: install ## validate and compile the shipped rule base
	$(BIN)/strideplan rules check rules

rules-test: install ## run every case of every shipped rule file
	$(BIN)/strideplan rules test rules

bench: install ## print the benchmark figures
	$(BIN)/python benchmarks/preview.py
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python -m benchmarks.feed   # needs wrk (apt-get install wrk)
	$(BIN)/python -m benchmarks.api
	$(BIN)/python -m benchmarks.regenerate   # needs PostgreSQL at 127.0.0.1:5432

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .pytest_cache .ruff_cache frontend/node_modules
