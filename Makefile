# The Makefile is the interface: `make demo` sets everything up and runs the pipeline end to end,
# `make test` runs the tests. Only Python 3.11+ and make are needed on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv from the PATH, or bootstrapped with pip into .tools/ (never into .venv, which uv manages).
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: install demo test test-fast test-distributed test-browser browser-deps lint format bench clean up requirements

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

# --compile-bytecode: the dependencies' .pyc are written once here (as pip does in the image);
# without them a machine with PYTHONDONTWRITEBYTECODE set compiles every module in every process
# (importing GX took 8.9-9.9 s instead of 4.3-4.7, xgboost with sklearn 19.8 s instead of 1.4).
$(VENV)/.installed: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed  ## Create .venv from uv.lock (dependencies and the project, editable)

demo: install  ## Set up (embedded Postgres unless CARTERA_DATABASE_URL is set) and run every DAG end to end
	$(BIN)/cartera demo

test: install lint  ## Lint, then the whole suite (unit, integration on a real Postgres, end to end)
	$(BIN)/pytest -m "not bench and not distributed and not browser" -n 2 --dist loadgroup

test-distributed: install  ## A day of the DAGs on the CeleryExecutor with two workers (needs Redis on 127.0.0.1:6379)
	$(BIN)/pytest tests/distributed -m distributed -s -p no:cacheprovider

test-fast: install  ## Unit tests only
	$(BIN)/pytest tests/unit -q

browser-deps:  ## Headless Chromium and its driver from Debian's packages (no browser download)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq chromium chromium-driver)

test-browser: install browser-deps  ## The dashboard in Chromium behind a real Airflow API server; screenshots to docs/screenshots/
	CARTERA_SCREENSHOTS=1 $(BIN)/pytest tests/browser -m browser -p no:cacheprovider

lint: install  ## ruff (lint + format check), mypy (strict) on cartera, ml, expectations and bench, import contracts, sqlfluff on dbt
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy cartera ml expectations bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/sqlfluff lint dbt_project --processes 0

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install  ## Benchmarks at scale; results with the machine go to docs/benchmarks.md
	$(BIN)/python -m bench

requirements: install  ## Re-export requirements.txt from uv.lock (a test fails when they disagree)
	$(UV) export --frozen --no-hashes --no-dev --no-emit-project -o requirements.txt

up: install  ## Run Airflow locally (scheduler, API server, DAG processor, triggerer) on the same set-up
	$(BIN)/cartera up

clean:  ## Stop the embedded Postgres and remove local state
	-@[ -x $(BIN)/cartera ] && $(BIN)/cartera db stop
	rm -rf .cartera dbt_project/target dbt_project/logs
