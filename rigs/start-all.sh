#!/usr/bin/env bash
# Starts every rig (in parallel) and fails loudly, with the rig's output,
# if any does not come up. Safe to run when some or all are already up.
#   rigs/start-all.sh [rig...]     (default: pgbouncer standby galera tls-postgres)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
RIG_DIR="${RIG_DIR:-/tmp/migrate-rigs}"
export RIG_DIR
mkdir -p "$RIG_DIR"
chmod 755 "$RIG_DIR"

rigs=("$@")
[ "${#rigs[@]}" -gt 0 ] || rigs=(pgbouncer standby galera tls-postgres)

start=$SECONDS
declare -A pids
for rig in "${rigs[@]}"; do
    "$here/$rig/start.sh" >"$RIG_DIR/$rig.start.log" 2>&1 &
    pids[$rig]=$!
done
failed=()
for rig in "${rigs[@]}"; do
    if wait "${pids[$rig]}"; then
        cat "$RIG_DIR/$rig.start.log"
    else
        failed+=("$rig")
        printf '\n!!! rig %s FAILED to start; its output:\n' "$rig" >&2
        sed 's/^/    /' "$RIG_DIR/$rig.start.log" >&2
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "ERROR: rigs not up: ${failed[*]} (state and logs in $RIG_DIR)" >&2
    exit 1
fi
echo "all rigs up in $((SECONDS - start))s: ${rigs[*]}"
