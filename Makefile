# Two commands on a fresh machine with Python 3.11 and make:
#   make demo   runs every finished chapter at the default profile and prints the results table
#   make test   runs every test (what CI runs)
# Both create .venv from the pinned dependencies when it is missing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PROFILE ?= default

.PHONY: demo test test-jax test-fast release release-check selftest lab clean sandbox

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "keras-patterns pins are tested on Python 3.11; found " + sys.version'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[cpu,lab,dev]"
	# pydssp declares torch, but the course only needs its NumPy implementation.
	$(BIN)/python -m pip install --quiet --no-deps pydssp==0.9.1
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kp demo --profile $(PROFILE)

# The grader runs every kernel under bubblewrap; install it where we can (root with apt).
sandbox:
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get update -qq && apt-get install -y -qq bubblewrap; }; } || \
	  { echo "kp grade needs bubblewrap: apt-get install bubblewrap (or pass --sandbox none)"; exit 1; }

# Every test on TensorFlow, then the library's unit tests again on JAX (TFDS builders need TensorFlow).
test: $(STAMP) sandbox
	$(BIN)/python -m pytest --durations=25
	$(MAKE) --no-print-directory test-jax

test-jax: $(STAMP)
	KERAS_BACKEND=jax $(BIN)/python -m pytest keras_patterns -m "not slow" -p no:cacheprovider \
	  --ignore-glob='keras_patterns/data/tfds*'

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

release: $(STAMP)
	$(BIN)/kp release

release-check: $(STAMP)
	$(BIN)/kp release --check

selftest: $(STAMP) sandbox
	$(BIN)/kp selftest

# jupyter_config/ turns off JupyterLab's news pop-up (it asks to fetch news these machines cannot reach).
lab: $(STAMP)
	JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter_config $(BIN)/jupyter lab course/

clean:
	rm -rf build
