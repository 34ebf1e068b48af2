# Two commands on a fresh machine: `make lab` and `make test`.
# Both create .venv when missing and reinstall only when pyproject.toml changed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8888
# Jupyter refuses to run as root (containers, CI machines) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test kernel bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[lab]'
	$(BIN)/python -m pubsub_kit.kernelspec
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.lab
	$(BIN)/python -m pip install -q -e '.[lab,test]'
	touch $@

lab: $(VENV)/.lab
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --port=$(PORT) --ServerApp.root_dir=notebooks $(ROOT_FLAG)

test: $(VENV)/.test
	$(BIN)/python -m pytest

# For an existing JupyterLab or JupyterHub: register .venv as the "pubsub-kit" kernel instead.
kernel: $(VENV)/.lab
	$(BIN)/python -m pubsub_kit.kernelspec --user --name pubsub-kit --display-name "pubsub-kit"

bench: $(VENV)/.lab
	$(BIN)/python bench/hub_bench.py

clean:
	rm -rf $(VENV)
