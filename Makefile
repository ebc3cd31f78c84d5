# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint bench bench-quick wheel docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the viewer on http://127.0.0.1:8080 with the embedded demo (no AWS account).
run: $(STAMP)
	$(BIN)/events-viewer serve $(ARGS)

## Run the whole test suite (real local SQS/SNS, redis-server, headless Chromium).
test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## The suite without browser and redis tests.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser and not redis and not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check viewer tests bench

## The benchmark: every figure as a ratio against a baseline run side by side.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick $(BENCH_ARGS)

## Regenerate the settings table in docs/settings.md from viewer/settings.py.
docs: $(STAMP)
	$(BIN)/python -m viewer.docs

wheel: $(STAMP)
	$(BIN)/python -m build --wheel --outdir dist .

clean:
	rm -rf $(VENV) dist build .pytest_cache
