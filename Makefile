# Heatdesk: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test worker shell install install-dev translations extract-messages migrate seed clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: requirements-dev.txt $(BIN)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed
install-dev: $(BIN)/.installed-dev

## Compile the message catalogs (the .mo files are built, never committed).
translations: $(BIN)/.installed
	$(BIN)/pybabel compile -d app/translations --statistics

## Re-extract user-facing strings and merge them into both catalogs.
extract-messages: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

migrate: $(BIN)/.installed
	HEATDESK_ENV=$${HEATDESK_ENV:-development} $(BIN)/flask db upgrade

seed: migrate
	HEATDESK_ENV=$${HEATDESK_ENV:-development} $(BIN)/flask demo seed

## Fresh clone to a running demo: venv, install, catalogs, migrate, seed once, serve.
run: translations seed
	@echo "Serving at http://$(HOST):$(PORT)"
	HEATDESK_ENV=$${HEATDESK_ENV:-development} $(BIN)/flask run --host $(HOST) --port $(PORT)

## The rq worker (only with REDIS_URL; without it jobs run inline in the web process).
worker: $(BIN)/.installed
	@test -n "$$REDIS_URL" || { echo "REDIS_URL is not set: jobs run inline, no worker needed"; exit 1; }
	HEATDESK_ENV=$${HEATDESK_ENV:-development} $(BIN)/flask outbox flush  # also starts the periodic sweep
	HEATDESK_ENV=$${HEATDESK_ENV:-development} $(BIN)/rq worker --with-scheduler --url "$$REDIS_URL" \
		--worker-class app.jobs.worker.AppWorker --serializer rq.serializers.JSONSerializer \
		$$(HEATDESK_ENV=$${HEATDESK_ENV:-development} $(BIN)/flask queues)

## A Python shell inside the app (staff actions until the staff desk exists).
shell: translations
	HEATDESK_ENV=$${HEATDESK_ENV:-development} $(BIN)/flask shell

## The whole suite: SQLite and fakeredis by default; PostgreSQL and Redis with TEST_DATABASE_URL and TEST_REDIS_URL.
test: $(BIN)/.installed-dev translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance app/translations/*/LC_MESSAGES/*.mo .pytest_cache
