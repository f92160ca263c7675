# Semaine de l'industrie: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
export UV_LINK_MODE ?= copy

.PHONY: run test install test-deps demo docs lint bench clean

## Start the whole system on this machine, in the foreground (Ctrl-C stops it).
run: install
	$(UV) run --no-sync sdi-run

## Run the whole test suite (installs what it needs first).
test: install test-deps
	$(UV) run --no-sync pytest $(PYTEST_ARGS)

## Install uv (if missing) and the locked Python environment.
install:
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --locked --quiet

## What the tests drive beyond Python (Chromium, redis-server, docker.io, debootstrap; the
## local base images and FerretDB, built once into ~/.cache/sdi): see scripts/test-deps.sh.
test-deps: install
	@scripts/test-deps.sh

## Load a few hundred realistic events into a running stack (after `make run`).
demo: install
	$(UV) run --no-sync python scripts/demo.py

## Regenerate the AsyncAPI document of the bus.
docs: install
	$(UV) run --no-sync sdi-asyncapi > docs/asyncapi.yaml

include web/assets.mk

lint: install
	$(UV) run --no-sync ruff check .

clean:
	rm -rf var .pytest_cache
