# botcopy-handover: the two commands a newcomer needs are `make demo` and `make test`.
# Everything they need is installed here, from Python and make alone.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed-stamp
# Every supported Python; each gets its own environment under .venvs/.
PYTHONS ?= 3.10 3.11 3.12 3.13

.PHONY: help demo test lint format typecheck docs pytest pytest-all bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade uv

$(STAMP): pyproject.toml $(UV)
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet -e '.[all,test,dev,bench]'
	touch $@

demo: $(STAMP) ## Run a live-chat handover end to end against the local Botcopy emulator
	$(BIN)/python examples/demo.py

test: lint typecheck docs pytest-all ## Lint, type-check, build the docs, and test on Python 3.10-3.13

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP) ## mypy --strict on the package, the tests and the typing checks
	$(BIN)/mypy

docs: $(STAMP) ## Build the docs with mkdocs --strict
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir .site

pytest: $(STAMP) ## Run the tests on the default Python only
	scripts/with-services.sh $(BIN)/python -m pytest -q

pytest-all: $(UV) ## Run the tests on every supported Python
	scripts/with-services.sh scripts/test-pythons.sh $(PYTHONS)

.PHONY: soak-outbox
soak-outbox: $(STAMP) ## Soak the durable outbox: 10,000 messages, faults, a runner SIGKILLed
	scripts/with-services.sh $(BIN)/python scripts/soak_outbox.py

bench: $(STAMP) ## Run the benchmarks and print their tables
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean: ## Remove environments and build output
	rm -rf $(VENV) .venvs .site .mypy_cache .ruff_cache .pytest_cache dist build
