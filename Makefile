# The two commands of the README. Both work on a fresh machine with nothing but python3.
#   make run    create .venv, install gradstep, fit seed 004's line (a second), then the main job:
#               compare seed 002's optimizers
#   make test   create .venv, install gradstep with its test dependencies, run every test
#   make bench  the performance suite against PyTorch, hand-written NumPy and JAX
#               (benchmarks/results.md and README's table); tens of minutes. The issue's cases
#               alone, about ten: .venv/bin/python -m benchmarks --goals

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -e ".[test]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/python examples/quickstart_linear_regression.py
	$(BIN)/gradstep compare

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	$(BIN)/python -m pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/python -m pip install --disable-pip-version-check -q -e ".[bench]"
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build src/*.egg-info
