# The README's commands. Each target creates the virtual environment it needs first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench stub clean

# `make stub` and `make run` are often started together on a fresh clone: two pip runs in one
# environment break it, so the install holds a lock (an fcntl lock, released even if make is
# killed) and the one that waited finds the environment ready.
WITH_INSTALL_LOCK := $(PYTHON) -c 'import fcntl, subprocess, sys; lock = open(sys.argv[1], "w"); \
	fcntl.flock(lock, fcntl.LOCK_EX); sys.exit(subprocess.call(sys.argv[2], shell=True))'

$(STAMP): pyproject.toml
	@mkdir -p $(VENV)
	@echo "installing Dramaturg into $(VENV)"
	@$(WITH_INSTALL_LOCK) $(VENV)/.install.lock 'test $(STAMP) -nt pyproject.toml || { \
		$(PYTHON) -m venv $(VENV) && \
		$(BIN)/pip install --quiet --upgrade pip && \
		$(BIN)/pip install --quiet -e ".[test]" && \
		touch $(STAMP); }'

run: $(STAMP)
	$(BIN)/dramaturg serve

stub: $(STAMP)
	$(BIN)/dramaturg llm-stub --mode auto

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
