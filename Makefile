# Gaoqi — the two commands: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
VENDOR := src/gaoqi/web/static/vendor
DEMO_N ?= 20000
DEMO_SEED ?= 2019

.PHONY: demo test lint bench vendor env clean-demo pdf-deps

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

env: $(STAMP) $(VENDOR)/.stamp-4 pdf-deps

# Bulletins (WeasyPrint) need pango and a CJK font from Debian's packages; the tests look at a rendered page
# with poppler-utils' pdftoppm. Installed when missing and apt-get can run; otherwise says what to install.
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei poppler-utils
pdf-deps:
	@missing=$$(for p in $(PDF_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done | tr '\n' ' '); \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing for PDF bulletins: $$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	    || echo "could not install $$missing: PDF bulletin tests will say what is missing"; \
	else \
	  echo "PDF bulletins need these system packages: $$missing"; \
	  echo "  Debian/Ubuntu: sudo apt-get install -y $$missing"; \
	  echo "  elsewhere: pango >= 1.44, a CJK font (WenQuanYi Micro Hei or Noto Sans CJK SC), poppler-utils"; \
	fi

# Front-end libraries come from the npm registry at build time and are served by us (never a CDN).
# Swagger UI (the API docs at /api/docs) goes to $(VENDOR)/swagger-ui/, with its source maps (the manifest
# storage of `gaoqi serve` resolves every sourceMappingURL). Bump the stamp when the list changes.
# The Jiangsu city outlines (dashboards, bulletins) come from echarts@4.9.0's map/json (Apache-2.0), registered
# with the current ECharts by echarts.registerMap and drawn as SVG on the server: $(VENDOR)/echarts-map/.
$(VENDOR)/.stamp-4:
	@mkdir -p $(VENDOR)/swagger-ui $(VENDOR)/echarts-map
	cd $(VENDOR) && npm pack --silent htmx.org@2.0.8 echarts@6.1.0 swagger-ui-dist@5.35.0 echarts@4.9.0 >/dev/null \
	  && tar -xzf echarts-4.9.0.tgz -C echarts-map --strip-components=4 package/map/json/province/jiangsu.json \
	  && tar -xzf htmx.org-2.0.8.tgz --strip-components=2 package/dist/htmx.min.js \
	  && tar -xzf echarts-6.1.0.tgz --strip-components=2 package/dist/echarts.min.js \
	  && tar -xzf swagger-ui-dist-5.35.0.tgz -C swagger-ui --strip-components=1 \
	       package/swagger-ui-bundle.js package/swagger-ui-bundle.js.map \
	       package/swagger-ui.css package/swagger-ui.css.map package/LICENSE \
	  && rm -f *.tgz
	@touch $@

vendor: $(VENDOR)/.stamp-4

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
