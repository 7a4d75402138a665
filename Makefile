# make run: the app on a seeded demo board at http://127.0.0.1:8080
# make test: the test suite against the Datastore emulator
# make lighthouse: Lighthouse scores of the public pages (installs a pinned Lighthouse with npm)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lighthouse clean

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m tools.run_local

test: $(VENV)/.installed
	$(PY) -m pytest

LIGHTHOUSE_DIR := tools/lighthouse

$(LIGHTHOUSE_DIR)/node_modules/.installed: $(LIGHTHOUSE_DIR)/package.json $(LIGHTHOUSE_DIR)/package-lock.json
	npm ci --prefix $(LIGHTHOUSE_DIR) --no-audit --no-fund
	touch $@

lighthouse: $(VENV)/.installed $(LIGHTHOUSE_DIR)/node_modules/.installed
	$(PY) -m tools.lighthouse

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
