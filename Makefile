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

# Python writes bytecode for everything make runs, even where the environment
# says not to (PYTHONDONTWRITEBYTECODE, set on some CI images): each tool and
# test suite compiles a module once, on first import, instead of at every
# start. So the environments are installed without --compile-bytecode, which
# compiles every installed file up front (about 8 s of CPU per environment).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help demo test lint format typecheck docs pytest pytest-all bench screenshots clean

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

# Lint first (it builds .venv); then the type check and the docs build run
# beside the test suites, whose first minute is mostly building environments.
test: ## Lint, type-check, build the docs, and test on each Python 3.10-3.13 found (timed)
	@scripts/timed-stages.sh $(MAKE) lint typecheck+docs+pytest-all

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# pyright's --verifytypes: every public name's type is known to any checker (exits
# non-zero below 100%). The first run downloads pyright from npm, hence the bound.
# pyright finds the package through the `python` first on PATH: the environment's.
PYRIGHT_TIMEOUT ?= 600

typecheck: $(STAMP) ## mypy --strict on the package, the tests and the typing checks; pyright's type completeness
	$(BIN)/mypy
	@out=$$(PATH="$(CURDIR)/$(BIN):$$PATH" timeout $(PYRIGHT_TIMEOUT) $(BIN)/pyright \
		--verifytypes botcopy_handover --ignoreexternal) \
		|| { echo "$$out"; echo "pyright --verifytypes: below 100% (or failed)"; exit 1; }; \
		echo "$$out" | grep 'completeness score'

docs: $(STAMP) ## Build the docs with mkdocs --strict
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir .site

# BOTCOPY_TEST_WORKERS=N: N pytest-xdist workers (`pytest -n N`) for `make pytest` and `make test`.
pytest: $(STAMP) ## Run the tests on the default Python only
	scripts/with-services.sh $(BIN)/python -m pytest -q $${BOTCOPY_TEST_WORKERS:+-n $$BOTCOPY_TEST_WORKERS}

# Versions this machine lacks are fetched with uv where it can, else skipped
# loudly; BOTCOPY_REQUIRE_ALL_PYTHONS=1 makes every one of them mandatory.
# BOTCOPY_TEST_PARALLEL=N suites run side by side (default 4), each with its own
# Redis and Redis Cluster (scripts/test-pythons.sh starts them per suite).
pytest-all: $(UV) ## Run the tests on every supported Python found (or fetched)
	scripts/test-pythons.sh $(PYTHONS)

# `make fuzz` / `make soak` sizes; e.g. `make fuzz FUZZ_INPUTS=100000`.
FUZZ_INPUTS ?= 1000000
FUZZ_SECONDS ?= 3600
# The models' property tests (50 derandomized examples each in `make test`).
FUZZ_MODEL_EXAMPLES ?= 5000
SOAK_MESSAGES ?= 10000
.PHONY: fuzz soak

fuzz: $(STAMP) ## Fuzz the parsers: 1,000,000 inputs, coverage-guided (atheris) where it installs
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet -e '.[fuzz]' \
		|| echo "atheris does not install here: scripts/fuzz.py falls back to hypothesis"
	$(BIN)/python scripts/fuzz.py --inputs $(FUZZ_INPUTS) --max-seconds $(FUZZ_SECONDS)
	BOTCOPY_FUZZ_PROFILE=fuzz BOTCOPY_FUZZ_EXAMPLES=$(FUZZ_MODEL_EXAMPLES) \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/models

soak: $(STAMP) ## Push 10,000 messages through emulator and proxy with faults; print the figures
	$(BIN)/python scripts/soak.py --messages $(SOAK_MESSAGES)
.PHONY: soak-outbox
soak-outbox: $(STAMP) ## Soak the durable outbox: 10,000 messages, faults, a runner SIGKILLed
	scripts/with-services.sh $(BIN)/python scripts/soak_outbox.py

bench: $(STAMP) ## Run the benchmarks and print their tables (the webhook one on every Python in .venvs/ too)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b; done
	for env in .venvs/py*; do \
		[[ -x $$env/bin/python ]] || continue; \
		VIRTUAL_ENV=$$env $(UV) pip install --quiet -e '.[all,test,bench]'; \
		echo "== benchmarks/webhook.py on $$env"; $$env/bin/python benchmarks/webhook.py; \
	done

screenshots: $(STAMP) ## Regenerate docs/img/*.png: the customer's chat page and the agent console, mid-conversation
	scripts/with-services.sh $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser/screenshots.py

clean: ## Remove environments and build output
	rm -rf $(VENV) .venvs .site .mypy_cache .ruff_cache .pytest_cache dist build
