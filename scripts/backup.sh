#!/usr/bin/env bash
# `make backup`: a compressed pg_dump of DATABASE_URL, dated, in BACKUP_DIR (default backups/).
#
# pg_dump's custom format is compressed and lets pg_restore (make restore)
# rebuild the database, constraints and all, into an empty one.
set -euo pipefail
: "${DATABASE_URL:?DATABASE_URL names the database to back up}"
dir="${BACKUP_DIR:-backups}"
mkdir -p "$dir"
name="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).path.strip("/") or "clinic")' "$DATABASE_URL")"
file="$dir/${name}-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --compress=9 --no-owner --no-privileges --file="$file.partial" "$DATABASE_URL"
mv "$file.partial" "$file"  # a file with the final name is always complete
echo "$file"
