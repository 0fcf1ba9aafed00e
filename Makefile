# The curator's interface. `make help` lists what you can do.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BUMP   ?= auto

.DEFAULT_GOAL := help
.PHONY: help install validate build test release bench lint clean

help: ## List what you can do
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned dependencies (done by every target)

validate: $(STAMP) ## Check raw/ against schemas/ and report every error
	$(BIN)/cyberdip validate

build: $(STAMP) ## Validate raw/ and publish dist/<version>/
	$(BIN)/cyberdip build

test: $(STAMP) ## Run the test suite
	$(BIN)/python -m pytest

release: $(STAMP) ## Make a new release (BUMP=auto|major|minor|patch)
	$(BIN)/cyberdip release --bump $(BUMP)

bench: $(STAMP) ## Time validate and build against frictionless and pyarrow; writes bench/RESULTS.md
	$(BIN)/python bench/run.py

lint: $(STAMP) ## Check the code style with ruff
	$(BIN)/ruff check pipeline tests bench

clean: ## Remove caches and temporary files (never dist/ releases)
	rm -rf .pytest_cache .ruff_cache .hypothesis build bench/data bench/out dist/.tmp-*
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
