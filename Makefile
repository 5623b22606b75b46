# make demo | make test | make lint | make format | make docs | make bench | make fuzz
# Every target creates .venv if it is missing and installs what it needs into it.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint format docs bench fuzz clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Stamp files inside the venv: installs rerun when pyproject.toml changes or the venv is new.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-docs: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $@ $(VENV)/.installed

# The guided tour, then examples/lenet_digits.py: LeNet on scikit-learn's digits (the `examples`
# extra: matplotlib, tqdm, scikit-learn), curves and the saved model in examples/out/.
$(VENV)/.installed-examples: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[examples]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed-examples
	$(PY) -m dyngrad tour
	$(PY) examples/lenet_digits.py

test: lint
	$(PY) -m pytest

lint: $(VENV)/.installed-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# The site (README, tutorial, API reference, architecture) into site/; warnings fail the build.
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

# Speed and memory against PyTorch and hand-written NumPy (issue 6): writes benchmarks/RESULTS.md.
# One BLAS/torch thread by default: on a shared 2-core machine, multithreaded BLAS and torch
# measure the other processes (see benchmarks/PROFILE.md). BENCH_ARGS= runs NumPy's default.
BENCH_ARGS ?= --threads 1
$(VENV)/.installed-bench: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e . torch==2.13.0 threadpoolctl
	touch $@ $(VENV)/.installed

bench: $(VENV)/.installed-bench
	PYTHONPATH=src $(PY) -m benchmarks $(BENCH_ARGS)

# The long differential fuzz campaign against PyTorch (issue 8): FUZZ_EXAMPLES random programs
# from seed FUZZ_SEED; every failure is printed with the seed that replays it
# (`PYTHONPATH=src:tests $(PY) -m fuzz.campaign --replay SEED`). `make test` runs a bounded set.
FUZZ_EXAMPLES ?= 20000
FUZZ_SEED ?= 0
fuzz: $(VENV)/.installed-bench $(VENV)/.installed-test
	PYTHONPATH=src:tests $(PY) -m fuzz.campaign --examples $(FUZZ_EXAMPLES) --seed $(FUZZ_SEED)

format: $(VENV)/.installed-test
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf build dist site src/*.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
