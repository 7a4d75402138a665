# make run: the app at http://127.0.0.1:8080 on a board kept in .local/datastore (demo-seeded the first time)
# make run FRESH=1 / make reset: start again from the demo board
# make test: the test suite against the Datastore emulator, on two workers (each with its own emulator)
# make test-slow: the fuzzing, make run started three times and the browser tests in Chromium, on two workers; CI runs it after make test
# make devserver: the same board served as App Engine runs the app, by the Cloud SDK's dev_appserver.py
# make devserver-check: a page, a static file and an API resource through dev_appserver.py (CI runs it)
# make deploy PROJECT=my-project: one `gcloud app deploy` of the app, its indexes and cron jobs (README, "Deploying")
# make fuzz: a deep schemathesis run of every API operation against its OpenAPI description (FUZZ_EXAMPLES=200)
# make lighthouse: Lighthouse scores of the public pages, the front page of 200 services with 90-day bars among them (installs a pinned Lighthouse with npm)
# make bench: throughput, latency, Datastore RPCs and memory of the public pages on three board sizes (needs wrk)
# make bench-subscribers: 100,000 e-mail subscribers: the notifying write beside an empty board's, the mail worker's rate and memory, a SIGKILL midway (READERS=20000 for a smaller run)
# make soak: 50 clients for 30 s (5 % writes), then the same while the Datastore emulator is stopped for 10 s and restarted from disk, then an alert storm, then make flood's phase
# make flood: 20 readers of the board alone for 10 s, then for 20 s beside an anonymous attacker sending 40 requests/s (404s, cache-busters, a busy service's 20,000 events)
# make translations: the public pages' text extracted again (babel.cfg), each language's catalogue updated and compiled (commit the .po and .mo files)
# make monitoring-test: the tests against the real Alertmanager and Nagios 4 (CI runs them after make test)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run reset test test-slow devserver devserver-check deploy fuzz lighthouse bench bench-subscribers soak flood monitoring-test translations clean

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

run: $(VENV)/.installed
	FRESH=$(FRESH) $(PY) -m tools.run_local

reset: $(VENV)/.installed
	$(PY) -m tools.run_local --reset

# Two workers, each with its own Datastore emulator; a module's tests stay on one worker,
# so a board or server a module shares is built once.
TEST_WORKERS ?= 2

test: $(VENV)/.installed
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# The fuzzing module runs on one worker while the browser modules share the other.
test-slow: $(VENV)/.installed
	$(PY) -m pytest -m "slow or browser" -n $(TEST_WORKERS) --dist loadfile

devserver: $(VENV)/.installed
	$(PY) -m tools.devserver

devserver-check: $(VENV)/.installed
	$(PY) -m tools.devserver --check

# queue.yaml and dispatch.yaml go with them when the project has them.
DEPLOY_CONFIGS := $(strip app.yaml index.yaml cron.yaml $(wildcard queue.yaml dispatch.yaml))

deploy:
	@test -n "$(PROJECT)" || { echo "make deploy needs the Google Cloud project: make deploy PROJECT=your-project" >&2; exit 2; }
	gcloud app deploy $(DEPLOY_CONFIGS) --project=$(PROJECT)

FUZZ_EXAMPLES ?= 200

fuzz: $(VENV)/.installed
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -p no:cacheprovider -m slow tests/test_api_fuzz.py

LIGHTHOUSE_DIR := tools/lighthouse

$(LIGHTHOUSE_DIR)/node_modules/.installed: $(LIGHTHOUSE_DIR)/package.json $(LIGHTHOUSE_DIR)/package-lock.json
	npm ci --prefix $(LIGHTHOUSE_DIR) --no-audit --no-fund
	touch $@

lighthouse: $(VENV)/.installed $(LIGHTHOUSE_DIR)/node_modules/.installed
	$(PY) -m tools.lighthouse

bench: $(VENV)/.installed
	$(PY) -m tools.bench

READERS ?= 100000

bench-subscribers: $(VENV)/.installed
	$(PY) -m tools.bench_subscribers --readers $(READERS)

soak: $(VENV)/.installed
	$(PY) -m tools.soak

flood: $(VENV)/.installed
	$(PY) -m tools.soak_flood

monitoring-test: $(VENV)/.installed
	$(PY) -m pytest -m monitoring tests/test_alertmanager.py tests/test_nagios.py

# The catalogues' template, each language's catalogue brought up to date, and the compiled .mo files
# the app reads; both are committed, so a fresh clone and App Engine need no build step.
BABEL := $(VENV)/bin/pybabel
LOCALES := fr de es pt_BR ja
# The catalogues are wrapped at 100 columns: running it again leaves their lines as they are.
PO_WIDTH := 100

translations: $(VENV)/.installed
	$(BABEL) extract -F babel.cfg -k N_ -k _l -k lazy_gettext -k Text --no-location --sort-output \
		--width=$(PO_WIDTH) --project=Stashboard -o translations/messages.pot .
	for locale in $(LOCALES); do \
		test -f translations/$$locale/LC_MESSAGES/messages.po \
			|| $(BABEL) init -i translations/messages.pot -d translations -l $$locale --width=$(PO_WIDTH); \
	done
	$(BABEL) update -i translations/messages.pot -d translations --no-fuzzy-matching --width=$(PO_WIDTH)
	$(BABEL) compile -d translations --statistics

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
