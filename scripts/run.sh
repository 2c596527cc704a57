#!/usr/bin/env bash
# `make run`: the web server with a Celery worker and beat beside it, in one terminal.
# Ctrl-C (or any one of them exiting) stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
# The port to serve on (`make run PORT=8001`); links in emails (SITE_URL) point at it.
PORT="${PORT:-8000}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
mkdir -p var
pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping the web server, Celery worker and beat..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT
.venv/bin/celery -A secportal worker --loglevel=INFO --concurrency=2 >var/celery-worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A secportal beat --loglevel=INFO --schedule=var/celerybeat-schedule >var/celery-beat.log 2>&1 &
pids+=($!)
echo "Celery worker and beat started (logs in var/celery-worker.log and var/celery-beat.log)."
echo "Emails (set-password and invitation links) are written to var/celery-worker.log."
echo "The SEC Portal is at $SITE_URL (Ctrl-C stops everything)."
.venv/bin/python manage.py runserver "127.0.0.1:$PORT" &
pids+=($!)
wait -n "${pids[@]}"
