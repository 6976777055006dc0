#!/usr/bin/env bash
# A PostgreSQL 15 primary on 127.0.0.1:5434 and a streaming hot standby of it
# on 127.0.0.1:5435, made with pg_basebackup -R.
set -euo pipefail
RIG_NAME=standby
. "$(dirname "$0")/../lib.sh"

PRIMARY_PORT=5434
STANDBY_PORT=5435
dir="$RIG_DIR/standby"
primary="$dir/primary"
standby="$dir/standby"
mkdir -p "$RIG_DIR"
rig_mkdir "$PG_USER" "$dir"

if [ ! -f "$primary/PG_VERSION" ]; then
    pg_initdb "$primary" "$PRIMARY_PORT" "host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust"
    cat >>"$primary/postgresql.conf" <<CONF
wal_level = replica
max_wal_senders = 10
wal_keep_size = 256MB
hot_standby = on
CONF
    # A standby of an older primary cannot follow this one.
    pg_stop "$standby"
    rm -rf "$standby"
fi
pg_start "$primary" "$PRIMARY_PORT"
pg_ensure_test_db -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres

sysid() { as_user "$PG_USER" "$PGBIN/pg_controldata" "$1" | awk -F': *' '/system identifier/ {print $2}'; }
if [ -f "$standby/PG_VERSION" ] && [ "$(sysid "$standby")" != "$(sysid "$primary")" ]; then
    rig_log "standby belongs to another primary; re-cloning"
    pg_stop "$standby"
    rm -rf "$standby"
fi
if [ ! -f "$standby/PG_VERSION" ]; then
    rig_log "pg_basebackup -R into $standby"
    rig_mkdir "$PG_USER" "$standby"
    chmod 700 "$standby"
    as_user "$PG_USER" "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
        -D "$standby" -R -X stream -c fast
    # Later settings win: the copied postgresql.conf still says port 5434.
    printf '\n# --- standby ---\nport = %s\nhot_standby = on\n' "$STANDBY_PORT" >>"$standby/postgresql.conf"
    rm -f "$standby/server.log"
fi
pg_start "$standby" "$STANDBY_PORT"

in_recovery() { [ "$("$PGBIN/psql" -h 127.0.0.1 -p "$STANDBY_PORT" -U postgres -d postgres -tAXc 'SELECT pg_is_in_recovery()')" = t ]; }
streaming() { [ "$("$PGBIN/psql" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -tAXc "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ]; }
in_recovery || rig_die "the server on $STANDBY_PORT is not in recovery"
wait_until "the standby to stream from the primary" streaming
"$(dirname "$0")/wait-replay.sh" >/dev/null
rig_log "up: primary 5434, hot standby 5435 (streaming)"
