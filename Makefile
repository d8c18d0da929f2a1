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

.PHONY: help setup java browser setup-sam setup-checkov checkov demo features serve test test-fast lint format data schemas build deploy bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

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

# checkov reads the CloudFormation SAM generates (roles, stages, schedules), one file per template;
# each accepted finding is skipped in the template itself with its reason (Metadata: checkov: skip).
checkov: setup-sam setup-checkov ## checkov over the expanded templates (fails on any finding not skipped)
	rm -rf .aws-sam/expanded
	AWS_DEFAULT_REGION=us-east-1 $(dir $(SAM))python scripts/sam_expand.py .aws-sam/expanded
	BC_SKIP_MAPPING=TRUE $(CHECKOV) -d .aws-sam/expanded --framework cloudformation --quiet --compact --skip-download

demo: setup ## Generate data, serve the API, POST ~100k events over HTTP, flush the lake, print a summary
	$(PY) -m devhost.cli demo

features: setup ## Run the feature jobs (the Glue scripts on local Spark) on the local lake; AS_OF=YYYY-MM-DD
	$(PY) -m audience.features $(if $(AS_OF),--as-of $(AS_OF),)

serve: setup ## Run the local API (and later the UI) at http://127.0.0.1:$(PORT)
	exec $(PY) -m devhost.cli serve --port $(PORT)

test: setup setup-sam browser ## Set up, check lint and types, and run every test (unit, adapters, HTTP, template, build)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	PATH="$(if $(PY313_BIN),$(PY313_BIN):,)$(dir $(SAM)):$$PATH" $(PY) -m pytest $(PYTEST_ARGS)

test-fast: setup ## Unit tests only
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

lint: setup setup-sam setup-checkov ## ruff, mypy, schema drift, cfn-lint (root and nested templates) and checkov
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
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
	$(PY) -m bench

clean: ## Remove local state and build output (keeps .venv)
	rm -rf .audience .aws-sam

# SAM's makefile build method calls build-<LogicalId> targets; they live beside the packaging script.
-include scripts/sam-build.mk
# Shipping the Glue jobs' library and reference data (glue-zip, glue-upload).
-include scripts/glue.mk
# Each part of the platform keeps its own targets beside its code (models, explorer, activation, insights).
-include $(wildcard mk/*.mk)
