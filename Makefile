# Two commands on a fresh machine: `make lab` and `make test`.
# Both create .venv when missing and reinstall only when pyproject.toml changed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8888

.PHONY: lab test kernel bench wheelhouse clean

# pip alone, on an older Python, spends minutes resolving before it fails: say so at once.
NEED_PY := import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else \
	f"pubsub_kit needs Python >= 3.11; $(PYTHON) is {v.major}.{v.minor}. Install 3.11 or newer, then: make clean; make lab PYTHON=python3.12")

$(BIN)/python:
	@$(PYTHON) -c '$(NEED_PY)'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[lab]'
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.lab
	$(BIN)/python -m pip install -q -e '.[lab,test]'
	touch $@

# The same command as the README's steps without make (pubsub_kit/workspace.py: start_lab).
lab: $(VENV)/.lab
	$(BIN)/pubsub-kit lab notebooks --port $(PORT)

test: $(VENV)/.test
	$(BIN)/python -m pytest

# For an existing JupyterLab or JupyterHub: register .venv as the "pubsub-kit" kernel instead.
kernel: $(VENV)/.lab
	$(BIN)/python -m pubsub_kit.kernelspec --user --name pubsub-kit --display-name "pubsub-kit"

# Every wheel a room of laptops needs (Linux and macOS, x86_64 and arm64, Python 3.11-3.15),
# for installs with no network: see docs/setup.md.
WHEELHOUSE ?= wheelhouse
wheelhouse: $(VENV)/.lab
	$(BIN)/python tools/wheelhouse.py $(WHEELHOUSE)

bench: $(VENV)/.lab
	$(BIN)/python bench/hub_bench.py

clean:
	rm -rf $(VENV)
