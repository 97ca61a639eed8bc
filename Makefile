# Two entry points for a fresh machine with only python3:
#   make demo  creates .venv, installs the lab and compares postures on Online Boutique
#   make test  installs the development extras and runs the test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"

demo: install
	$(BIN)/lab compare scenarios/online-boutique.yaml --trials 1000 --out results/online-boutique

test: install-dev
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) results
