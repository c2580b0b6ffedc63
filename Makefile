# retainkit workbook. Quick start: `make lab` (open the workbook), `make test` (run every check).
# Needs only python3 >= 3.11 and make. An active virtualenv (or a non-base conda env) is used
# as it is; otherwise a private .venv is created here on first use and refreshed whenever
# pyproject.toml changes.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
ACTIVE_ENV := $(or $(VIRTUAL_ENV),$(if $(filter-out base,$(CONDA_DEFAULT_ENV)),$(CONDA_PREFIX)))
ENV_DIR := $(or $(ACTIVE_ENV),.venv)
PY := $(ENV_DIR)/bin/python
STAMP := $(ENV_DIR)/.retainkit-installed
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root)
# MovieLens-100k may not be redistributed (GroupLens's terms), so it is not in git: the first
# `make lab`/`make test` fetches it from PyPI's recbole 1.2.1 wheel (tools/make_data.py).
# Offline: `make movielens RECBOLE_WHEEL=path/to/recbole-1.2.1-py3-none-any.whl`.
# The files go where the loaders look: $RETAINKIT_DATA if set, else datasets/.
MOVIELENS := $(addprefix $(or $(RETAINKIT_DATA),datasets)/movielens-100k/ml-100k.,inter item user)
RECBOLE_WHEEL ?=
NBVAL := -p no:cacheprovider --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
         --durations=15

.PHONY: help env movielens lab test check unit notebooks student execute data bench clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

env: $(STAMP) $(MOVIELENS)  ## create or refresh the Python environment, fetch MovieLens-100k

$(STAMP): pyproject.toml
	@if [ -z "$(ACTIVE_ENV)" ] && [ ! -x .venv/bin/python ]; then \
	  $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	    echo "retainkit needs Python >= 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	    echo "Install a newer Python, or run: make PYTHON=python3.12 $(MAKECMDGOALS)"; exit 1; }; \
	  echo ">> creating .venv with $$($(PYTHON) --version)"; \
	  $(PYTHON) -m venv .venv || { echo "venv failed: on Debian/Ubuntu install python3-venv"; exit 1; }; \
	fi
	@echo ">> installing retainkit and its dependencies into $(ENV_DIR) (first time: a few minutes)"
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet --progress-bar off -e '.[dev]' || { \
	  echo "pip install failed: see the FAQ in README.md (TensorFlow wheels, proxies, conda)."; exit 1; }
	@touch $(STAMP)
	@echo ">> environment ready: $(ENV_DIR)"

movielens: $(MOVIELENS)  ## fetch MovieLens-100k once (not redistributed here) from PyPI

# One pattern rule with three targets: one run of the recipe writes all three files (also
# with GNU make 3.81, macOS's). Order-only on the env: a newer pyproject.toml does not refetch.
%/ml-100k.inter %/ml-100k.item %/ml-100k.user: | $(STAMP)
	$(PY) tools/make_data.py $(if $(RECBOLE_WHEEL),--vendor-movielens "$(RECBOLE_WHEEL)",--fetch-movielens)

lab: $(STAMP) $(MOVIELENS)  ## open the workbook in JupyterLab
	$(PY) -m jupyter lab $(LAB_FLAGS) notebooks/00_start_here.ipynb

test: check unit notebooks  ## run every check: lint, anatomy, student copies, unit tests, notebooks

check: $(STAMP)  ## fast checks: ruff, notebook anatomy and navigation, student copies, glossary
	@echo ">> ruff"
	@$(PY) -m ruff check .
	@echo ">> notebook anatomy, navigation and README map"
	@$(PY) tools/check_notebooks.py
	@echo ">> student copies"
	@$(PY) tools/make_student.py --check
	@echo ">> docs/glossary.md (with the glossary and notation consistency check) and docs/helpers.md"
	@$(PY) tools/make_glossary.py --check
	@$(PY) tools/make_helpers.py --check

unit: $(STAMP) $(MOVIELENS)  ## unit, property and oracle tests in tests/, and every docstring example
	$(PY) -m pytest tests --durations=10
	$(PY) -m pytest --doctest-modules retainkit -q -p no:cacheprovider

notebooks: $(STAMP) $(MOVIELENS)  ## re-run every notebook and compare with its stored outputs (nbval)
	@strict="$$($(PY) tools/check_notebooks.py --list-tier strict)" || exit 1; \
	lax="$$($(PY) tools/check_notebooks.py --list-tier lax)" || exit 1; \
	if [ -n "$$strict" ]; then \
	  echo ">> strict nbval (outputs compared): $$strict"; \
	  $(PY) -m pytest $(NBVAL) --nbval $$strict || exit 1; fi; \
	if [ -n "$$lax" ]; then \
	  echo ">> lax nbval (only # NBVAL_CHECK_OUTPUT cells compared): $$lax"; \
	  $(PY) -m pytest $(NBVAL) --nbval-lax $$lax || exit 1; fi

student: $(STAMP)  ## regenerate notebooks/student/, docs/glossary.md and docs/helpers.md
	$(PY) tools/make_student.py
	$(PY) tools/make_glossary.py
	$(PY) tools/make_helpers.py

execute: $(STAMP) $(MOVIELENS)  ## re-run every notebook in place (refresh stored outputs), then fix nav and student copies
	@for nb in notebooks/[0-9][0-9]_*.ipynb; do \
	  echo ">> executing $$nb"; \
	  $(PY) -m jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.kernel_name=python3 \
	    --ExecutePreprocessor.record_timing=False "$$nb"; \
	done
	$(PY) tools/check_notebooks.py --fix
	$(PY) tools/make_student.py
	$(PY) tools/make_glossary.py
	$(PY) tools/make_helpers.py

data: $(STAMP)  ## regenerate the simulated datasets in datasets/
	$(PY) tools/make_data.py

# Speed ratios only; benchmarks/model_comparison.py and recommend.py regenerate the committed
# result tables (10-30 minutes each) and are run by hand, as their docstrings say.
SPEED_BENCHMARKS := events retention simulate explain

bench: $(STAMP)  ## print speed ratios against named baselines
	@for b in $(SPEED_BENCHMARKS); do echo ">> benchmarks/$$b.py"; $(PY) "benchmarks/$$b.py"; done

clean:  ## remove caches and the private .venv
	rm -rf .venv .pytest_cache .ruff_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +
