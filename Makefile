# kslab: two commands (and a third for developers).
#   make lab    set everything up (first run: a local .venv) and open the course in JupyterLab
#   make test   set everything up and run the whole test suite (unit tests + every notebook, offline)
#   make lint   the layers (import-linter), ruff and mypy; CI runs it before the tests
# Needs only Python >= 3.10 (Linux or macOS). PYTHON=python3.12 make lab picks another interpreter.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.kslab-installed
FIRST_NOTEBOOK := notebooks/00-set-up.ipynb
# JupyterLab refuses to run as root unless told; CI and containers are root.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: lab test lint notebooks check-notebooks data bench clean help
help:
	@sed -n 's/^#   //p' Makefile

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || \
	  { echo "kslab needs Python >= 3.10; found: $$($(PYTHON) --version 2>&1). Try PYTHON=python3.12 make ..."; exit 1; }
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV) || \
	  { echo "could not create a virtual environment (on Debian/Ubuntu: apt install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

lab: $(STAMP)
	@$(BIN)/python tools/lab_settings.py
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=$(CURDIR) $(FIRST_NOTEBOOK)

test: $(STAMP)
	@rc=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests collected"; rc=0; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check kslab tests tools bench conftest.py
	$(BIN)/mypy

notebooks: $(STAMP)
	$(BIN)/python tools/notebooks.py build

check-notebooks: $(STAMP)
	$(BIN)/python tools/notebooks.py check

data: $(STAMP)
	$(BIN)/python -m kslab mesh record --out kslab/data/captures
	$(BIN)/python tools/record_api_resources.py

bench: $(STAMP)
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
