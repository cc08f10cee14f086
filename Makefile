# Developer shortcuts; each target is one plain command you can also run by hand.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FTGRAPH := $(BIN)/ftgraph

.DEFAULT_GOAL := help
.PHONY: help setup validate build serve test lint ci

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

setup: ## build the web UI assets, create the venv ($(VENV)) and install ftgraph with test tools (editable)
	cd frontend && npm ci && npm run build
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[test]'

validate: ## SHACL-validate ontology/ data/ shapes/ (exit 1 if not conforming)
	$(FTGRAPH) validate

build: ## build the store atomically (FTGRAPH_STORE; no-op if inputs unchanged)
	$(FTGRAPH) build

serve: ## serve the SPARQL endpoint (builds the store on first use)
	$(FTGRAPH) serve

test: ## run the test suite
	$(BIN)/python -m pytest -q

lint: ## ruff lint + format check, mypy --strict, the import layers (import-linter)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy --strict src
	$(BIN)/lint-imports

ci: ## what CI runs: fresh venv, install, validate, test
	.ci/run
