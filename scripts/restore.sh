#!/usr/bin/env bash
# `make restore FILE=backups/clinic-....dump`: rebuild DATABASE_URL from a backup.
#
# Only into an empty database (created when missing): restoring over live data
# would mix two diaries. All or nothing: one transaction, stop at any error.
set -euo pipefail
file="${1:-}"
[ -n "$file" ] && [ -f "$file" ] || { echo "Usage: make restore FILE=backups/<name>.dump" >&2; exit 2; }
: "${DATABASE_URL:?DATABASE_URL names the database to restore into}"
cd "$(dirname "$0")/.."
SECRET_KEY="${SECRET_KEY:-restore-only-not-a-secret}" .venv/bin/python manage.py ensure_database
tables="$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
if [ "$tables" != "0" ]; then
    echo "The database in DATABASE_URL already has $tables tables: restore only into an empty one." >&2
    exit 1
fi
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
    --dbname="$DATABASE_URL" "$file"
echo "Restored $file into $(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).path.strip("/"))' "$DATABASE_URL")."
