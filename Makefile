# The two commands a newcomer needs:  make up  (the platform with the demo province)  and  make test.
# Both create the virtual environment .venv first; .venv/bin/hotline is the CLI.

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: install up down status test lint bench console chromium

$(STAMP): pyproject.toml bench/pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]' -e ./bench  # the benchmarks: not in the wheel
	touch $(STAMP)

install: $(STAMP)

# The web console (console/, Node 20 + npm): npm ci when the lockfile changed, the client from the OpenAPI
# document, vite build into console/dist; the API serves it at /console/.
console: $(STAMP)
	$(VENV)/bin/hotline console build

# The browser tests drive Debian's Chromium (never a downloaded browser build); a Chinese font, so the screenshots
# in docs/console show characters, not boxes (and the PDF 通报 is typeset in it); poppler-utils' pdftoppm, so the
# ranking's test can look at a page of the 通报 it downloaded.
chromium:
	@missing=""; command -v chromium >/dev/null || missing="chromium"; \
	  [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$$missing fonts-wqy-microhei"; \
	  command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	  [ -z "$$missing" ] || { [ "$$(id -u)" = 0 ] || { echo "install them: sudo apt-get install$$missing"; exit 1; }; \
	  apt-get install -y -qq $$missing >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $$missing; }; }

up: $(STAMP) console
	$(VENV)/bin/hotline up

down: $(STAMP)
	$(VENV)/bin/hotline down

status: $(STAMP)
	$(VENV)/bin/hotline status

test: $(STAMP) chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/hotline console build --check
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(VENV)/bin/hotline bench provision
