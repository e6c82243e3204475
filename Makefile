# Gaoqi — the two commands: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
VENDOR := src/gaoqi/web/static/vendor
DEMO_N ?= 20000
DEMO_SEED ?= 2019

.PHONY: demo test lint bench vendor env clean-demo

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

env: $(STAMP) $(VENDOR)/.stamp

# Front-end libraries come from the npm registry at build time and are served by us (never a CDN).
$(VENDOR)/.stamp:
	@mkdir -p $(VENDOR)
	cd $(VENDOR) && npm pack --silent htmx.org@2.0.8 echarts@6.1.0 >/dev/null \
	  && tar -xzf htmx.org-2.0.8.tgz --strip-components=2 package/dist/htmx.min.js \
	  && tar -xzf echarts-6.1.0.tgz --strip-components=2 package/dist/echarts.min.js \
	  && rm -f *.tgz
	@touch $@

vendor: $(VENDOR)/.stamp

demo: env
	$(BIN)/gaoqi demo --enterprises $(DEMO_N) --seed $(DEMO_SEED)

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: env
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	@out=$$($(BIN)/lint-imports --no-cache pyproject.toml 2>&1) || { echo "$$out"; exit 1; }; echo "$$out" | tail -3
	$(BIN)/python -m django makemigrations --check --dry-run --settings=gaoqi.settings >/dev/null

bench: env
	$(BIN)/python -m bench

clean-demo:
	rm -f var/gaoqi.sqlite3 var/gaoqi.sqlite3-wal var/gaoqi.sqlite3-shm
