# make run: the app on a seeded demo board at http://127.0.0.1:8080
# make test: the test suite against the Datastore emulator
# make fuzz: a deep schemathesis run of every API operation against its OpenAPI description (FUZZ_EXAMPLES=200)
# make lighthouse: Lighthouse scores of the public pages (installs a pinned Lighthouse with npm)
# make bench: throughput, latency, Datastore RPCs and memory of the public pages on three board sizes (needs wrk)
# make soak: 50 clients for 30 s while the Datastore emulator is stopped for 10 s and restarted from disk
# make monitoring-test: only the tests against the real Alertmanager and Nagios 4 (make test runs them too)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test fuzz lighthouse bench soak monitoring-test clean

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m tools.run_local

test: $(VENV)/.installed
	$(PY) -m pytest

FUZZ_EXAMPLES ?= 200

fuzz: $(VENV)/.installed
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -p no:cacheprovider tests/test_api_fuzz.py

LIGHTHOUSE_DIR := tools/lighthouse

$(LIGHTHOUSE_DIR)/node_modules/.installed: $(LIGHTHOUSE_DIR)/package.json $(LIGHTHOUSE_DIR)/package-lock.json
	npm ci --prefix $(LIGHTHOUSE_DIR) --no-audit --no-fund
	touch $@

lighthouse: $(VENV)/.installed $(LIGHTHOUSE_DIR)/node_modules/.installed
	$(PY) -m tools.lighthouse

bench: $(VENV)/.installed
	$(PY) -m tools.bench

soak: $(VENV)/.installed
	$(PY) -m tools.soak

monitoring-test: $(VENV)/.installed
	$(PY) -m pytest tests/test_alertmanager.py tests/test_nagios.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
