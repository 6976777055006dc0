#!/usr/bin/env bash
# Stops every rig that start-all.sh started; nothing else.
#   rigs/stop-all.sh [--clean]     (--clean also deletes $RIG_DIR's rig state)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
status=0
for rig in pgbouncer standby galera tls-postgres; do
    "$here/$rig/stop.sh" "$@" || { echo "ERROR: stopping rig $rig failed" >&2; status=1; }
done
exit $status
