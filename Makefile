# Bocage: `make run` starts a node on http://127.0.0.1:8000; `make test` runs the test suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data
STAMP  := $(VENV)/.installed
# npm's packages (package.json, package-lock.json): masto.js for the client tests. Only the
# tests need Node.js; `make run` does not.
NODE_STAMP := node_modules/.installed

.PHONY: run test bench lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@scripts/ensure-node
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "note: no npm; the masto.js tests will be skipped" >&2; fi

install: $(STAMP) $(NODE_STAMP)
	@scripts/ensure-ffmpeg

run: $(STAMP)
	@test -f $(DATA)/bocage.toml || $(BIN)/bocage init --data $(DATA) --domain 127.0.0.1:8000 --insecure-loopback
	$(BIN)/bocage serve --data $(DATA) --host 127.0.0.1 --port 8000

test: $(STAMP) $(NODE_STAMP)
	@scripts/ensure-chromium
	@scripts/ensure-ffmpeg
	$(BIN)/ruff check bocage tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check bocage tests bench
	$(BIN)/ruff format --check bocage tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache node_modules
