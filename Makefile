# Two commands matter: `make run` (the whole system on embedded defaults) and `make test`.
# Each bootstraps what it needs from nothing: virtual environment, packages, Kafka and
# Keycloak from Maven, GOV.UK Frontend from npm, and (for the tests) Debian's Chromium.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
WEB := services/web
GOVUK := $(WEB)/node_modules/govuk-frontend/dist/govuk
ASSETS := $(WEB)/static/govuk/.copied

.PHONY: run test lint bootstrap browser scanner clean

run: bootstrap
	$(BIN)/safeguard run

test: bootstrap browser
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bootstrap: $(INSTALLED) $(ASSETS) scanner
	$(BIN)/safeguard stack fetch

# pip keeps its downloads in ~/.cache/pip and Maven in ~/.m2, so a second bootstrap is quick.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# GOV.UK Frontend's built CSS, JS, fonts and images, pinned by the lockfile (npm's cache: ~/.npm).
$(ASSETS): $(WEB)/package.json $(WEB)/package-lock.json
	npm ci --prefix $(WEB) --no-audit --no-fund --loglevel=error
	rm -rf $(WEB)/static/govuk
	mkdir -p $(WEB)/static/govuk
	cp $(GOVUK)/govuk-frontend.min.css $(GOVUK)/govuk-frontend.min.js $(WEB)/static/govuk/
	cp -r $(GOVUK)/assets $(WEB)/static/govuk/assets
	touch $@

# The browser tests drive Debian's Chromium (a browser Playwright downloads cannot be had here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "error: the browser tests need Chromium: install Debian's 'chromium' package" >&2; \
	    exit 1; \
	  fi; }

# Uploads are scanned by ClamAV's daemon, which the stack runs (safeguard/stack/clamd.py):
# Debian's clamav-daemon, installed the same way as Chromium above.
scanner:
	@command -v clamd >/dev/null 2>&1 || test -x /usr/sbin/clamd || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clamav-daemon; \
	  else \
	    echo "error: uploads are scanned by clamd: install Debian's 'clamav-daemon' package" >&2; \
	    exit 1; \
	  fi; }

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache $(WEB)/node_modules $(WEB)/static/govuk
