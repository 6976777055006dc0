#!/usr/bin/env bash
# PostgreSQL 15 on 127.0.0.1:5433 (its own data dir) and two pgbouncers in
# front of it: pool_mode=transaction on 6432, pool_mode=session on 6433.
set -euo pipefail
RIG_NAME=pgbouncer
. "$(dirname "$0")/../lib.sh"

PG_PORT=5433
TX_PORT=6432
SESSION_PORT=6433
dir="$RIG_DIR/pgbouncer"
data="$dir/pg"

command -v pgbouncer >/dev/null || rig_die "pgbouncer is not installed (apt-get install pgbouncer)"
mkdir -p "$RIG_DIR"
rig_mkdir "$PG_USER" "$dir"

[ -f "$data/PG_VERSION" ] || pg_initdb "$data" "$PG_PORT" "host all all 127.0.0.1/32 trust"
pg_start "$data" "$PG_PORT"
pg_ensure_test_db -h 127.0.0.1 -p "$PG_PORT" -U postgres

# auth_type=trust still wants the user listed in auth_file.
printf '"postgres" ""\n' >"$dir/userlist.txt"

bouncer() {
    local mode="$1" port="$2" ini="$dir/pgbouncer-$1.ini"
    cat >"$ini" <<INI
[databases]
; Any database name, so databases created at run time are reachable.
* = host=127.0.0.1 port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
pidfile = $dir/pgbouncer-$mode.pid
logfile = $dir/pgbouncer-$mode.log
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = postgres
stats_users = postgres
pool_mode = $mode
default_pool_size = 2
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 200
; sqlx sends extra_float_digits as a startup parameter.
ignore_startup_parameters = extra_float_digits
INI
    if pid_alive "$dir/pgbouncer-$mode.pid" pgbouncer; then
        rig_log "pgbouncer ($mode) already running on $port"
        return 0
    fi
    require_free_port "$port"
    rig_log "starting pgbouncer pool_mode=$mode on 127.0.0.1:$port"
    as_user "$PG_USER" pgbouncer -d -q "$ini" \
        || { tail -5 "$dir/pgbouncer-$mode.log" >&2; rig_die "pgbouncer ($mode) did not start"; }
    wait_until "pgbouncer ($mode) on port $port" \
        "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d test -tAXc "SELECT 1"
}

if [ "$(id -u)" = 0 ]; then chown "$PG_USER": "$dir"/*.ini "$dir/userlist.txt" 2>/dev/null || true; fi
bouncer transaction "$TX_PORT"
bouncer session "$SESSION_PORT"
rig_log "up: PostgreSQL 5433, pgbouncer transaction 6432, session 6433"
