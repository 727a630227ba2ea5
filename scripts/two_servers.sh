#!/usr/bin/env bash
# Two app servers and two workers on one PostgreSQL and one Redis (docs/scaling.md).
# The work is in scripts/two_servers.py; this only runs it with the project's Python.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python scripts/two_servers.py "$@"
