#!/usr/bin/env bash
# Stops the TLS-only PostgreSQL instance that start.sh started.
# --clean also deletes the rig's state dir.
set -euo pipefail
RIG_NAME=tls-postgres
. "$(dirname "$0")/../lib.sh"

dir="$RIG_DIR/tls-postgres"
pg_stop "$dir/pg"
if [ "${1:-}" = --clean ]; then rm -rf "$dir"; fi
