#!/usr/bin/env bash
# Stops the standby and the primary that start.sh started.
# --clean also deletes the rig's state dir.
set -euo pipefail
RIG_NAME=standby
. "$(dirname "$0")/../lib.sh"

dir="$RIG_DIR/standby"
pg_stop "$dir/standby"
pg_stop "$dir/primary"
if [ "${1:-}" = --clean ]; then rm -rf "$dir"; fi
