#!/usr/bin/env bash
# Waits until the standby (5435) has replayed the primary's (5434) current
# WAL position, so whatever was committed on the primary before this call
# (a CREATE DATABASE, a table) is visible on the standby. Prints the LSN.
# The same in SQL, for a test:
#   on the primary:  SELECT pg_current_wal_lsn();            -- say '0/3000148'
#   on the standby, until true:
#                    SELECT pg_last_wal_replay_lsn() >= '0/3000148'::pg_lsn;
set -euo pipefail
RIG_NAME=standby
. "$(dirname "$0")/../lib.sh"

PRIMARY_PORT="${PRIMARY_PORT:-5434}"
STANDBY_PORT="${STANDBY_PORT:-5435}"
lsn="$("$PGBIN/psql" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -tAXc 'SELECT pg_current_wal_lsn()')"
replayed() {
    [ "$("$PGBIN/psql" -h 127.0.0.1 -p "$STANDBY_PORT" -U postgres -d postgres -tAXc \
        "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ]
}
wait_until "the standby to replay $lsn" replayed
echo "$lsn"
