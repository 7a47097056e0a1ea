# sonos-chime: every developer and CI command starts here.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export PYTHONPATH := $(abspath tests):$(abspath files)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)

.PHONY: help venv test lint pytest molecule engine binfmt images image-amd64 image-arm64 image-armhf demo bench clean

help:
	@echo "make demo   - simulated household + chime-host container, one chime, before/during/after per speaker"
	@echo "make test   - every test: lint, pytest (simulator and chime.py), molecule (Debian 12 and 13; Debian 12 arm64 and armhf under qemu-user)"
	@echo "make bench  - performance and reliability figures (Markdown table, JSON and PNG under results/)"

venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt files/requirements.txt scripts/ensure-venv.sh
	scripts/ensure-venv.sh $(VENV)
	touch $@

# One after the other: run beside the emulated scenarios, pytest got a third of the CPU (qemu in
# their containers does not run at the scenarios' niceness) and the whole took longer.
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

binfmt:
	scripts/ensure-binfmt.sh

# The amd64 images one after the other (household is built on bookworm), each Raspberry Pi
# architecture beside them: most of an emulated build is one process running dpkg under qemu.
images: engine binfmt
	$(MAKE) --no-print-directory -j3 image-amd64 image-arm64 image-armhf

image-amd64: engine
	scripts/build-image.sh bookworm
	scripts/build-image.sh trixie
	scripts/build-image.sh household

image-arm64 image-armhf: image-%:
	scripts/build-image.sh bookworm $*

molecule: venv images
	scripts/molecule-all.sh

# The demo and the bench run amd64 containers only.
demo: venv image-amd64
	scripts/demo.sh

bench: venv image-amd64
	python -m bench

clean:
	rm -rf $(VENV) results .pytest_cache .mypy_cache .ruff_cache
