#!/usr/bin/env bash
# Trial mode: the web server in the foreground, one Celery worker with embedded beat in the
# background. Broker: CELERY_BROKER_URL if set (e.g. redis://127.0.0.1:6379/0), else the
# filesystem transport under var/broker, which needs no server (the Celery app creates its folders).
# Stopping the server stops the worker.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
VAR=${OMS_VAR_DIR:-var}
export DEBUG=${DEBUG:-1}
# Settings create no folder at import: the trial makes the ones it writes to (SQLite, logs, beat).
mkdir -p "$VAR/log"

"$BIN/celery" -A config worker --beat --pool=solo --loglevel=INFO \
  --schedule "$VAR/celerybeat-schedule" >"$VAR/log/worker.log" 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  OMS trial is running (SQLite at $VAR/oms.sqlite3, broker ${CELERY_BROKER_URL:-filesystem ($VAR/broker)})
  Admin (order managers):  http://$HOST:$PORT/admin/
  Sales-rep/dealer portal: http://$HOST:$PORT/portal/
  API docs (dealers):      http://$HOST:$PORT/api/docs/
  Worker + beat log:       $VAR/log/worker.log

MSG
"$BIN/python" manage.py demo_data --print-logins --base-url "http://$HOST:$PORT"
"$BIN/python" manage.py runserver "$HOST:$PORT"
