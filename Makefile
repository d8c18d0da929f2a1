# The two commands in the README are `make demo` and `make test`; both set everything up first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
export AUDIENCE_HOME ?= $(CURDIR)/.audience
export SAM_CLI_TELEMETRY := 0
UV_VERSION := 0.13.9
UV := $(CURDIR)/.tools/uv/bin/uv
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
SAM := $(CURDIR)/tools/sam/.venv/bin/sam
CHECKOV := $(CURDIR)/tools/checkov/.venv/bin/checkov
# Lambda runs python3.13: `sam build` needs it on PATH. pyenv keeps it under versions/3.13.*.
PY313_BIN := $(shell d=$$(ls -d $$HOME/.pyenv/versions/3.13*/bin 2>/dev/null | sort -V | tail -1); \
	if [ -n "$$d" ]; then echo $$d; elif python3.13 -c '' 2>/dev/null; then dirname $$(command -v python3.13); fi)
export AUDIENCE_PYTHON313 := $(if $(PY313_BIN),$(PY313_BIN)/python3.13,)

.PHONY: help setup java browser setup-sam setup-checkov setup-sagemaker checkov import reconcile demo features serve test test-fast lint format data schemas build deploy bench clean readme-check

help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' \
		'{ name[NR] = $$1; text[NR] = $$2; if (length($$1) > w) w = length($$1) } \
		END { for (i = 1; i <= NR; i++) printf "  %-*s  %s\n", w, name[i], text[i] }'

$(UV):
	python3 -m venv $(CURDIR)/.tools/uv
	$(CURDIR)/.tools/uv/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --python python3.11
	touch $@

$(SAM): $(UV) tools/sam/pyproject.toml tools/sam/uv.lock
	cd tools/sam && $(UV) sync --frozen --python python3.11
	touch $@

# checkov pins its own boto3 (and much else), so it has its own locked environment, like SAM.
$(CHECKOV): $(UV) tools/checkov/pyproject.toml tools/checkov/uv.lock
	cd tools/checkov && $(UV) sync --frozen --python python3.11
	touch $@

# The SageMaker Python SDK (audience models train --cloud) pins rich<15: its own locked environment.
SAGEMAKER_SDK := $(CURDIR)/tools/sagemaker/.venv/.synced
$(SAGEMAKER_SDK): $(UV) tools/sagemaker/pyproject.toml tools/sagemaker/uv.lock
	cd tools/sagemaker && $(UV) sync --frozen --python python3.11
	touch $@

setup: $(VENV)/.synced java node_modules/.installed ## Create .venv and node_modules from the lock files (installs uv, and a JRE for Spark, if needed)

# Front-end libraries (D3) are served by the local UI from node_modules: never a CDN, never vendored by hand.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the UI's libraries (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Spark (the Glue jobs run locally) needs Java 17, as Glue 5.0 does.
java:
	@if java -version 2>&1 | grep -qE 'version "(17|21)'; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing a Java 17 runtime for Spark (Debian: openjdk-17-jre-headless)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	else \
		echo "Spark needs Java 17: install it (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17)"; exit 1; \
	fi

# UI tests drive Debian's Chromium headless (playwright is told its path and never downloads a browser).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Chromium for the UI tests (Debian: chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "the UI tests need Chromium at /usr/bin/chromium (Debian/Ubuntu: sudo apt-get install chromium)"; exit 1; \
	fi

setup-sam: $(SAM) ## Install the pinned SAM CLI into its own locked environment

setup-checkov: $(CHECKOV) ## Install the pinned checkov into its own locked environment

setup-sagemaker: $(SAGEMAKER_SDK) ## Install the pinned SageMaker Python SDK into its own locked environment (models train --cloud)

# checkov reads the CloudFormation SAM generates (roles, stages, schedules), one file per template;
# each accepted finding is skipped in the template itself with its reason (Metadata: checkov: skip).
checkov: setup-sam setup-checkov ## checkov over the expanded templates (fails on any finding not skipped)
	rm -rf .aws-sam/expanded
	AWS_DEFAULT_REGION=us-east-1 $(dir $(SAM))python scripts/sam_expand.py .aws-sam/expanded
	BC_SKIP_MAPPING=TRUE $(CHECKOV) -d .aws-sam/expanded --framework cloudformation --quiet --compact --skip-download

demo: setup ## 90 days of history backfilled, the live day POSTed over HTTP, then features, models, Explorer, activation, insights (SEED=11: another seed)
	$(PY) -m devhost.cli demo $(if $(SEED),--seed $(SEED),)

import: setup ## Backfill history into the local lake: make import EVENTS=path/to/file-or-folder (JSON lines, CSV, Parquet)
	@test -n "$(EVENTS)" || { echo "usage: make import EVENTS=path/to/events.jsonl"; exit 1; }
	$(PY) -m devhost.cli import --events $(EVENTS)

reconcile: setup ## Recompute the live counters from the lake, repair drift, report it (START=, END= ISO times)
	$(PY) -m devhost.cli reconcile $(if $(START),--start $(START),) $(if $(END),--end $(END),)

features: setup ## Run the feature jobs (the Glue scripts on local Spark) on the local lake; AS_OF=YYYY-MM-DD
	$(PY) -m audience.features $(if $(AS_OF),--as-of $(AS_OF),)

serve: setup ## Serve the web app (every page) and the API at http://127.0.0.1:8000; PORT=8010 for another port
	@exec $(PY) -m devhost.cli serve --port $(PORT)

# Two workers (CI has 2 cores): each test module stays on one worker, the Spark suites on one worker
# together, the server and browser suites on another (tests/conftest.py). PYTEST_WORKERS=0 runs
# serially; PYTEST_ARGS adds options.
PYTEST_WORKERS ?= 2

test: setup setup-sam setup-sagemaker browser ## Set up, check lint and types, and run every test (unit, adapters, HTTP, template, build)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	PATH="$(if $(PY313_BIN),$(PY313_BIN):,)$(dir $(SAM)):$$PATH" $(PY) -m pytest \
		$(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadgroup) --durations=15 $(PYTEST_ARGS)

# The slices' own tests (tests/<slice>/) without Spark, servers, browsers or builds.
FAST_TESTS := tests/core tests/ingest tests/insights tests/activation tests/explorer tests/datagen tests/architecture

test-fast: setup ## The slices' unit tests only (no Spark, servers, browsers or builds)
	$(PY) -m pytest $(FAST_TESTS) $(PYTEST_ARGS)

lint: setup setup-sam setup-checkov ## ruff, mypy, the import contract (docs/architecture.md), schema drift, cfn-lint (root and nested templates) and checkov
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) -m schemas.derive --check
	$(VENV)/bin/cfn-lint template.yaml stacks/*.yaml
	$(MAKE) --no-print-directory checkov

format: setup ## Apply ruff's formatting and autofixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

data: setup ## Regenerate the reference tables in data/ (deterministic: seed 7)
	$(PY) -m audience.datagen --out data/

schemas: setup ## Rewrite the documents derived from the pydantic contract
	$(PY) -m schemas.derive

build: setup-sam ## sam build (needs python3.13, found via pyenv)
	@test -n "$(PY313_BIN)" || { echo "python3.13 not found: install it (pyenv install 3.13) for sam build"; exit 1; }
	PATH="$(PY313_BIN):$$PATH" $(SAM) build

deploy: build ## sam deploy (CONFIG_ENV=prod for production), then upload the Glue libraries, reference data and training code
	$(SAM) deploy --config-env $${CONFIG_ENV:-default}
	$(MAKE) --no-print-directory glue-upload
	$(MAKE) --no-print-directory models-upload

bench: setup ## Run the benchmarks and print ratios against same-run baselines
	@# The handlers under measurement log a line per request at INFO; the tables are the output.
	POWERTOOLS_LOG_LEVEL=$${POWERTOOLS_LOG_LEVEL:-WARNING} $(PY) -m bench

clean: ## Remove local state and build output (keeps .venv)
	rm -rf .audience .aws-sam

# Every make fragment lives in scripts/, beside the packaging scripts it calls: SAM's makefile build
# method (sam-build.mk: build-<LogicalId>), shipping the Glue jobs (glue.mk), and each part's own
# targets (explorer, models, segments).
-include $(sort $(wildcard scripts/*.mk))

readme-check: setup ## Compare the README's figures table with the last `make demo` (AUDIENCE_HOME/report.json)
	@$(PY) -m devhost.readme_check
