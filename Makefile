# Two commands on a fresh machine with Python 3.11, 3.12 or 3.13, and make:
#   make demo   runs every finished chapter at the default profile and prints the results table
#   make test   runs every test (what CI runs)
# Both create .venv from the pinned dependencies when it is missing.
#
# The Python: PYTHON=python3.12 (a name or a path), else the newest tested one found
# (python3.13, python3.12, python3.11; bin/find-python says what it needs when it finds none).
# VENV=.venv-3.12 keeps a second environment beside .venv.

PYTHON ?=
PY     := $(shell bin/find-python $(PYTHON) 2>/dev/null)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PROFILE ?= default
# chapter 03's real DNA (make data, below)
DATA_DIR   := $(VENV)/share/kp-data
DATA_STAMP := $(DATA_DIR)/.installed-r-cran-mlbench-2.1-3-1_r-cran-kernlab-0.9-32-1_python-biopython-doc-1.80

.PHONY: demo data site site-assets test test-jax test-python test-fast test-doctest mutation-lib mutation-sample release release-check selftest lab clean sandbox python-check

$(STAMP): pyproject.toml | $(DATA_STAMP)
	@test -n "$(PY)" || bin/find-python $(PYTHON)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[cpu,lab,dev]"
	# pydssp declares torch, but the course only needs its NumPy implementation.
	$(BIN)/python -m pip install --quiet --no-deps pydssp==0.9.1
	# lifelines 0.30.3 declares pandas<3.0; the course pins pandas 3.1.1 and tests lifelines with it (chapter 05:
	# keras_patterns/survival_baselines_test.py). Its other dependencies are pinned in pyproject.toml.
	$(BIN)/python -m pip install --quiet --no-deps lifelines==0.30.3
	touch $(STAMP)

# The real DNA of chapters 03 (splice junctions, promoters: R data files of Debian's r-cran-mlbench and r-cran-kernlab)
# and 02 (the GenBank plasmid in Debian's python-biopython-doc), unpacked without R into the environment at install
# time (bin/fetch-data; the loaders never download). A new bin/fetch-data fetches again. Every target
# that installs fetches it first; where it cannot (no apt-get), it says so and goes on, and the loaders say what to run.
$(DATA_STAMP): bin/fetch-data
	@bin/fetch-data $(DATA_DIR) && touch $@ || echo "make data failed: the real-data parts of chapters 02 and 03 cannot run" >&2
data: $(DATA_STAMP)

# A PYTHON given on the command line must be the one $(VENV) was made with.
python-check:
	@if [ -n "$(PYTHON)" ] && [ -x $(BIN)/python ]; then \
	  want=$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  have=$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  [ "$$want" = "$$have" ] || { echo "$(VENV) was made with Python $$have, not $$want ($(PYTHON)):" \
	    "rm -rf $(VENV), or keep both with VENV=.venv-$$want"; exit 1; }; fi

demo: python-check $(STAMP)
	$(BIN)/kp demo --profile $(PROFILE)
	@# kp site then renders these runs; its scripts come from npm (install time only, where npm is).
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory site-assets; \
	  else echo "kp site needs MathJax and reveal.js: install npm, then make site-assets"; fi

# The grader runs every kernel under bubblewrap; install it where we can (root with apt).
sandbox:
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get update -qq && apt-get install -y -qq bubblewrap; }; } || \
	  { echo "kp grade needs bubblewrap: apt-get install bubblewrap (or pass --sandbox none)"; exit 1; }

# Every test on TensorFlow, then the library's unit tests again on JAX (TFDS builders need TensorFlow).
test: python-check $(STAMP) sandbox site-assets
	$(BIN)/python -m pytest --durations=25 -r s
	$(MAKE) --no-print-directory test-doctest
	$(MAKE) --no-print-directory test-jax
	$(MAKE) --no-print-directory mutation-sample

# The library's docstring examples, run as doctests (they show their outputs).
DOCTEST_IGNORE :=
test-doctest: $(STAMP)
	$(BIN)/python -m pytest --doctest-modules keras_patterns --ignore-glob='*_test.py' $(DOCTEST_IGNORE) \
	  -p no:cacheprovider -q -r s

# Mutation testing of the library (MUTATION_LIB.md): every module in benchmarks/mutation_lib.py's MODULES,
# one worker, a report per module in benchmarks/mutation_lib/ (the full run: hours on 2 cores).
# MODULES="oracles/hmm metrics" runs some.
mutation-lib: $(STAMP)
	nice -n 15 $(BIN)/python benchmarks/mutation_lib.py $(MODULES)

# CI's seeded sample: MUTATION_SAMPLE mutants of each fast module's compute code must fare as the
# committed reports say (a mutant recorded killed that now survives fails the run), and the sample's
# kill rate must reach 90 %.
MUTATION_SAMPLE ?= 6
MUTATION_SEED ?= 0
MUTATION_CI_MODULES ?= oracles/hmm oracles/ar1 oracles/random_walks baselines data/graphs metrics checks results
mutation-sample: $(STAMP)
	$(BIN)/python benchmarks/mutation_lib.py --sample $(MUTATION_SAMPLE) --seed $(MUTATION_SEED) --check \
	  $(MUTATION_CI_MODULES)

test-jax: $(STAMP)
	KERAS_BACKEND=jax $(BIN)/python -m pytest keras_patterns -m "not slow" -p no:cacheprovider -r s \
	  --ignore-glob='keras_patterns/data/tfds*'

# On another supported Python (CI: 3.12 and 3.13, beside the full suite on 3.11): the library's unit
# tests, one chapter's notebook at smoke, the CLI and one grading round trip.
test-python: python-check $(STAMP) sandbox
	$(BIN)/python -m pytest -p no:cacheprovider keras_patterns tests/test_cli.py \
	  "tests/test_notebooks.py::test_solution_runs_at_smoke[ch14_random_walks]" \
	  tests/test_grading.py::test_grade_batch_each_submission_graded_on_its_own

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

release: $(STAMP)
	$(BIN)/kp release

release-check: $(STAMP)
	$(BIN)/kp release --check

selftest: python-check $(STAMP) sandbox
	$(BIN)/kp selftest

# jupyter_config/ turns off JupyterLab's news pop-up (it asks to fetch news these machines cannot reach).
lab: $(STAMP)
	JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter_config $(BIN)/jupyter lab course/

# The course site's scripts, served from the site (no CDN): MathJax 2 and reveal.js from npm, into the
# environment (install time only; `kp site` and `kp slides` copy them, nothing downloads when they run).
SITE_ASSETS := $(VENV)/share/kp-site
SITE_NPM    := mathjax@2.7.9 reveal.js@4.6.1
SITE_STAMP  := $(SITE_ASSETS)/.installed-$(subst @,-,$(subst $() ,_,$(SITE_NPM)))
$(SITE_STAMP):
	mkdir -p $(SITE_ASSETS)
	cd $(SITE_ASSETS) && npm install --no-audit --no-fund --silent $(SITE_NPM)
	touch $@
site-assets: $(SITE_STAMP)

# The student site in build/site/, the instructor site in build/site-instructor/ (`make demo` first gives
# them the default profile's outputs; else a chapter without a fresh executed notebook runs at smoke).
site: $(STAMP) site-assets
	$(BIN)/kp site

clean:
	rm -rf build
