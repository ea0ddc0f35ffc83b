# Quick start: `make run` (chatbot) and `make test` (every test). Both set up .venv/ if needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-fast index bench browser-deps clean

setup: $(STAMP)

# torch first, from the CPU wheel: anything that pulls torch in later then finds it installed
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "articleqa needs Python 3.11"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: setup
	$(PY) app.py

# Chromium for the browser tests (Debian's package; needs root). Without it they are skipped.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || echo "note: chromium not installed; browser tests will be skipped"; }

test: setup browser-deps
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow and not browser"

index: setup
	$(VENV)/bin/qa index

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) index/CURRENT index/build-* index/eval-* .pytest_cache
