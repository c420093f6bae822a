# Okienko: `make run` sets up and starts the portal, `make test` sets up and runs the tests.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed-from-lock
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint messages lock bench soak backup restore clean

$(INSTALLED): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

install: $(INSTALLED)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --noinput -v0
	@echo "Okienko: http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)  Ctrl-C stops web and worker."
	@trap 'kill 0' INT TERM EXIT; \
	$(VENV)/bin/celery -A config worker --beat --concurrency 2 --loglevel INFO & \
	$(PY) manage.py runserver $(HOST):$(PORT) & \
	wait

test: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit --quiet --configfile pyproject.toml --recursive . --severity-level high
	DJANGO_SETTINGS_MODULE=config.settings.production ALLOWED_HOSTS=portal.example.pl \
	  DATABASE_URL=sqlite:///unused.sqlite3 CACHE_URL=locmemcache:// \
	  SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  $(PY) manage.py check --deploy --fail-level WARNING
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Regenerate the translation catalogues (needs GNU gettext) after changing strings.
messages: install
	$(PY) manage.py makemessages --locale pl --locale en --ignore '.venv/*' --ignore 'staticfiles/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*'

# Re-resolve the lock from pyproject.toml (exact versions with hashes).
lock:
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

# Load benchmark against PostgreSQL and Redis (needs wrk; see bench/README.md).
# BENCH_SMOKE=1: 2000 customers, 3 s per run, fails on any error; BENCH_CUSTOMERS=N.
bench: install
	$(PY) bench/run.py

# Fixed-rate mixed load with a Celery worker delivering; fails on any error or a process
# growing more than 10 %. SOAK_SECONDS (600), SOAK_RATE (5 req/s); see bench/README.md.
soak: install
	$(PY) bench/soak.py

# Database and stored files into $(BACKUP_DIR) (default var/backups); restore one into an
# empty database and empty folders: make restore FROM=var/backups/okienko-… (docs/BACKUP.md).
backup: install
	bin/backup $(BACKUP_DIR)

restore: install
	bin/restore $(FROM)

clean:
	rm -rf $(VENV) var staticfiles db.sqlite3
