# The two commands a newcomer needs: `make run` and `make test`. Everything else is set-up they call.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCKS  := requirements.lock requirements-dev.lock
STAMP  := $(VENV)/.installed-$(shell cat $(LOCKS) | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint migrate demo worker lock bench bench-allocation bench-priority bench-review bench-dunning bench-production bench-shop-floor messages clean

## Runtime packages (requirements.lock, all the Docker image gets) and the dev/test tools
## (requirements-dev.lock, constrained to the runtime lock so shared packages have one version).
$(STAMP): $(LOCKS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## Settings create no folder at import; the trial's SQLite file lives in var/ (OMS_VAR_DIR).
migrate: install
	mkdir -p $${OMS_VAR_DIR:-var}
	$(BIN)/python manage.py migrate --noinput

## Demo data is trial-only: the command refuses to run with DEBUG off (production never installs it).
demo: migrate
	DEBUG=1 $(BIN)/python manage.py demo_data --size small --base-url http://$(HOST):$(PORT)

## Trial mode: SQLite + a filesystem Celery broker (no server needed), web + worker + beat.
run: demo
	HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) bash scripts/run_trial.sh

## Whole suite. PostgreSQL when DATABASE_URL points there or 127.0.0.1:5432 answers, else SQLite.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore=.venv

bench: install
	$(BIN)/python bench/run.py

## Allocation of 10,000 approved orders by 2 Celery workers, hot-SKU variant, ATP latency (issue #8).
bench-allocation: install
	$(BIN)/python bench/allocation_backlog.py

## Rescoring the priority of 10,000 open orders: wall time, orders/s and queries per batch (issue #9).
bench-priority: install
	$(BIN)/python bench/priority_rescore.py

## Review rules evaluated for 10,000 open orders in a bounded number of queries (issue #9).
bench-review: install
	$(BIN)/python bench/review_rules.py

## One dunning run over 100,000 open invoices, the ageing report and the credit repair (issue #9).
bench-dunning: install
	$(BIN)/python bench/dunning.py

## Scheduling 2,000 work orders over 3 plants, then re-sequencing a busy line (issue #10).
bench-production: install
	$(BIN)/python bench/production_schedule.py

## The shop-floor endpoint: events/s and p99 at 8 terminals through gunicorn, replays too (issue #10).
bench-shop-floor: install
	$(BIN)/python bench/shop_floor.py

## Re-pin both locks from pyproject.toml (needs `uv`); existing pins are kept unless a range moved
## (`UV_ARGS=--upgrade` to take newer releases). The dev lock is constrained to the runtime one.
UV_ARGS ?=
lock:
	uv pip compile pyproject.toml -o requirements.lock --python-version 3.11 \
	  --custom-compile-command "make lock" $(UV_ARGS)
	uv pip compile pyproject.toml --extra dev -c requirements.lock -o requirements-dev.lock \
	  --python-version 3.11 --custom-compile-command "make lock" $(UV_ARGS)

clean:
	rm -rf $(VENV) var
