# sonos-chime: every developer and CI command starts here.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export PYTHONPATH := $(abspath tests):$(abspath files)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)

.PHONY: help venv test lint pytest molecule engine images demo bench clean

help:
	@echo "make demo   - simulated household + chime-host container, one chime, before/during/after per speaker"
	@echo "make test   - every test: lint, pytest (simulator and chime.py), molecule (Debian 12 and 13)"
	@echo "make bench  - performance and reliability figures (Markdown table, JSON and PNG under results/)"

venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt files/requirements.txt scripts/ensure-venv.sh
	scripts/ensure-venv.sh $(VENV)
	touch $@

test: lint pytest molecule

lint: venv
	ruff check files tests
	mypy --strict files/chime.py files/sonos_chime
	yamllint --strict .
	ansible-lint

pytest: venv
	pytest tests
	scripts/soco-integration.sh

engine:
	scripts/ensure-engine.sh

images: engine
	scripts/build-image.sh bookworm
	scripts/build-image.sh trixie
	scripts/build-image.sh household

molecule: venv images
	scripts/molecule-all.sh

demo: venv images
	scripts/demo.sh

bench: venv images
	python -m bench

clean:
	rm -rf $(VENV) results .pytest_cache .mypy_cache .ruff_cache
