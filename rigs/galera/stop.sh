#!/usr/bin/env bash
# Stops the three Galera nodes that start.sh started, node 3 first, so node 1
# leaves last (and may bootstrap the next start).
# --clean also deletes the rig's state dir.
set -euo pipefail
RIG_NAME=galera
. "$(dirname "$0")/../lib.sh"

dir="$RIG_DIR/galera"
for n in 3 2 1; do
    if pid_alive "$dir/node$n/mysqld.pid" mariadbd; then
        rig_log "stopping node $n"
        kill_pidfile "$dir/node$n/mysqld.pid" mariadbd
    fi
done
if [ "${1:-}" = --clean ]; then rm -rf "$dir"; fi
