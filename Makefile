# Alta: the commands a newcomer needs (README). Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
# npm tools, each in a folder of its own with its lock (tools/*/package-lock.json): the Nu Html
# Checker the suite runs (vnu.jar, on Java), and Lighthouse for `make lighthouse` only.
VNU_STAMP        := tools/vnu/node_modules/.installed
LIGHTHOUSE_STAMP := tools/lighthouse/node_modules/.installed

.PHONY: run test lint bench bench-email bench-web bench-fleet bench-import install system-deps demo clean messages screenshots lighthouse

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# Our catalogues (locale/<language>/LC_MESSAGES/django.po, every language there) compiled
# with Babel's pybabel, a pinned dependency: no GNU gettext needed. A .mo is rebuilt when
# its .po changes; the .mo files are not in Git.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po | $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

install: $(STAMP) $(MO_FILES)

# Refresh locale/en/LC_MESSAGES/django.po from the code (GNU gettext's xgettext, from
# system-deps), keeping its translations; tests/portal/test_english.py runs the same command.
messages: install system-deps
	$(BIN)/python manage.py makemessages -l en --no-obsolete --add-location file -i "tests/*" -i "bench/*" -i "var/*" -i "static/*" -i "deploy/*" -i "docs/*" -i "build/*" -i "alta.egg-info/*"

# The `bench` extra (locust, django-allauth for the baseline project, pyinstrument): only
# `make bench` needs it.
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@

# Embedded default: SQLite under var/, Celery eager, mail to /dev/correo/, demo data (with a
# printed reviewer password) loaded. With DATABASE_URL, REDIS_URL or EMAIL_HOST in the
# environment the same command uses them (and, with REDIS_URL, starts a Celery worker with
# beat beside the server); with DATABASE_URL it loads no demo data: that database may be a
# real one (`make demo` loads it on purpose). What is past its retention (RETENTION_DAYS) is
# purged at each start: the embedded mode has no beat to do it daily.
run: install
	@export DJANGO_DEBUG=$${DJANGO_DEBUG:-1}; \
	$(BIN)/python manage.py migrate_locked --noinput && \
	$(BIN)/python manage.py createcachetable && \
	$(BIN)/python manage.py purge_personal_data && \
	if [ -z "$$DATABASE_URL" ]; then \
	  $(BIN)/python manage.py load_demo; \
	else \
	  echo "DATABASE_URL definida: no se cargan datos de demostración (make demo los carga)."; \
	fi && \
	if [ -n "$$REDIS_URL" ]; then \
	  $(BIN)/celery -A portal worker -B --loglevel=INFO --concurrency=2 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	fi; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The demo data (fictional agents, clients, a reviewer whose password is printed) in the
# database of DATABASE_URL, or the embedded one: only on request outside `make run`.
demo: install
	@export DJANGO_DEBUG=$${DJANGO_DEBUG:-1}; \
	$(BIN)/python manage.py migrate_locked --noinput && \
	$(BIN)/python manage.py createcachetable && \
	$(BIN)/python manage.py load_demo

# Debian packages the suite runs for real: PostgreSQL, Redis, Chromium and flite (the captcha's
# audio), Java and npm (the Nu Html Checker), installed as root when missing; the tests start
# throwaway instances of the servers.
system-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v flite >/dev/null 2>&1 || missing="$$missing flite"; \
	command -v xgettext >/dev/null 2>&1 || missing="$$missing gettext"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Instalando:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Faltan paquetes del sistema:$$missing (instálalos como root)"; exit 1; \
	  fi; \
	fi

# `npm ci` installs exactly the lock; --ignore-scripts: vnu-jar's postinstall would download a
# Java of its own from GitHub, and the system's (system-deps) is the one used.
$(VNU_STAMP): tools/vnu/package-lock.json | system-deps
	cd tools/vnu && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(LIGHTHOUSE_STAMP): tools/lighthouse/package-lock.json | system-deps
	cd tools/lighthouse && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Every page the suite renders also goes through the Nu Html Checker at the session's end
# (tests/html_check.py): an error in the markup fails the run.
test: install system-deps $(VNU_STAMP)
	$(BIN)/python -m pytest

# Figures, not pass/fail (about 15 minutes): every wizard step's req/s and p50/p95/p99 under
# gunicorn -w 2 with production settings, as ratios to Django's LoginView, django-allauth's
# signup (GET and POST) and the agent steps built from stock parts (bench/baseline) served
# alike; complete flows/s, worker emails/s, the review queue at 100 and 100,000
# requests, worker RSS, session rows per 1,000 first-page GETs. Writes docs/benchmarks.md and
# var/bench/results.json. Then login and reset timing for existing vs unknown accounts.
bench: $(BENCH_STAMP) system-deps
	$(BIN)/python bench/run.py
	$(BIN)/python bench/auth_timing.py
	$(BIN)/python bench/dashboard.py

# Figures, not pass/fail: emails expected, delivered and duplicated under each fault (Redis
# down, SMTP refusing or down, worker killed before DATA and after 250, PostgreSQL restart,
# beat stopped), with time scaled down; about ten minutes. Not part of `make test`.
bench-email: install system-deps
	$(BIN)/python bench/email_faults.py

# Figures, not pass/fail: requests/s of one web replica (gunicorn -w 2, production settings,
# real PostgreSQL and Redis) on a few pages, the "Capacity" figure of docs/deploy.md.
bench-web: install system-deps
	$(BIN)/python bench/web_capacity.py

# Figures, not pass/fail (about 5 minutes): the fleet's faults as an operator tries them. Three
# gunicorn processes under load while Redis is hung (SIGSTOP) 60 s, killed and back; then the
# previous release serving while the new migrations run (FROM=<commit> picks the release).
# Writes its sections of docs/benchmarks.md.
bench-fleet: install system-deps
	$(BIN)/python bench/fleet.py

# Figures, not pass/fail (about 4 minutes): 100,000 agents and 300,000 policies imported into
# a fresh PostgreSQL and again with 1% changed, seconds and rows/s, and access requests filed
# during each agents' import; the "Imports" section of docs/benchmarks.md.
bench-import: install system-deps
	$(BIN)/python bench/imports.py

# PNGs of the main screens (both flows, an error, the review queue, an email) at 360 and
# 1280 px into docs/img/ (the README's "Screenshots"), from Chromium walking the embedded
# default with the demo data in a throwaway folder: nothing of var/ is touched.
screenshots: install system-deps
	$(BIN)/python scripts/screenshots.py

# Figures, not pass/fail (about two minutes): Lighthouse 12 (mobile, default throttling) on the
# home, both logins and both wizards' first steps, served by gunicorn with production settings
# on a throwaway PostgreSQL and Redis with the demo data; writes docs/lighthouse.md and
# var/lighthouse/<page>.json.
lighthouse: install system-deps $(LIGHTHOUSE_STAMP)
	$(BIN)/python scripts/lighthouse.py

# ruff (format + check), mypy with django-stubs (it reads portal.settings, which needs no
# environment variables), bandit on the apps, and pip-audit on the pinned packages: a known
# vulnerability fails; no access to pip-audit's data only says so (.ci/pip_audit.py).
# django-migration-linter (.ci/lint_migrations.py) fails on a migration the previous release's
# pods cannot run against: a NOT NULL column without a database default, a drop, a rename; the
# ones released before it are listed with the reason in .ci/lint_settings.py. It reads
# PostgreSQL's SQL, from a throwaway server started for it (its `sqlmigrate` needs a connection):
# SQLite's SQL rebuilds the table for every `db_default` column, which the linter flags.
lint: install system-deps
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy portal agents registration notifications
	$(BIN)/bandit -q -r portal agents registration notifications -c pyproject.toml
	$(BIN)/python .ci/pip_audit.py
	$(BIN)/python .ci/lint_migrations.py

clean:
	rm -rf var .pytest_cache
