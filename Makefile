# Glimpse: `make demo` runs the demo, `make test` runs the whole suite. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-requirements

.PHONY: install demo test lint messages bench-stats bench-http clean

# Production installs requirements.txt alone; here the tests and tools of requirements-dev.txt come too.
# The stamp is a copy of both files, so a change to either reinstalls.
$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	cat requirements.txt requirements-dev.txt > $(INSTALLED)

install: $(INSTALLED)

# The demo's own SECRET_KEY: made once, kept in var/ (not in git), used unless SECRET_KEY is set.
var/secret-key:
	mkdir -p var
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

# `make demo PORT=8123 HOST=0.0.0.0`: every printed URL, snippet and link follows (GLIMPSE_BASE_URL, unless set).
HOST ?= 127.0.0.1
PORT ?= 8000

demo: install var/secret-key
	export SECRET_KEY="$${SECRET_KEY:-$$(cat var/secret-key)}" && \
	export GLIMPSE_BASE_URL="$${GLIMPSE_BASE_URL:-http://$(HOST):$(PORT)}" && \
	export ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost,[::1],$(HOST)}" && \
	$(BIN)/python manage.py migrate --noinput && \
	$(BIN)/python manage.py setup_demo --serve $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# axe-core for the browser tests' accessibility checks; without npm those tests skip and say why.
node_modules/.package-lock.json: package-lock.json
	if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund; fi

test: install node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check_catalogues
	$(BIN)/pytest $(PYTEST_ARGS)

# The compiled catalogues (locale/*/LC_MESSAGES/django.mo) are committed, so running Glimpse needs no gettext;
# after translating, this compiles them with Babel (`check_catalogues`, run by `make test`, compares).
messages: install
	$(BIN)/pybabel compile --domain django --directory locale --statistics

# The benches need DATABASE_URL pointing at a database of their own, filled by `python -m bench.generate`.
bench-stats: install
	$(BIN)/python -m bench.stats

bench-http: install
	$(BIN)/python -m bench.http

clean:
	rm -rf $(VENV) var .pytest_cache
