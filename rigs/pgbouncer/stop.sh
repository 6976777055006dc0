#!/usr/bin/env bash
# Stops the pgbouncers and the PostgreSQL instance that start.sh started.
# --clean also deletes the rig's state dir.
set -euo pipefail
RIG_NAME=pgbouncer
. "$(dirname "$0")/../lib.sh"

dir="$RIG_DIR/pgbouncer"
for mode in transaction session; do
    if pid_alive "$dir/pgbouncer-$mode.pid" pgbouncer; then
        rig_log "stopping pgbouncer ($mode)"
        kill_pidfile "$dir/pgbouncer-$mode.pid" pgbouncer
    fi
done
pg_stop "$dir/pg"
if [ "${1:-}" = --clean ]; then rm -rf "$dir"; fi
