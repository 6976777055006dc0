# Shared helpers for the rig scripts. Sourced, not run.
# Every rig keeps its state (data dirs, configs, logs, pid files) under
# $RIG_DIR/<rig>/ and starts/stops only the processes whose pid files it wrote.

RIG_DIR="${RIG_DIR:-/tmp/migrate-rigs}"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
# Seconds to wait for a server before giving up.
RIG_TIMEOUT="${RIG_TIMEOUT:-60}"

rig_log() { printf '[%s] %s\n' "${RIG_NAME:-rig}" "$*"; }
rig_die() { printf '[%s] ERROR: %s\n' "${RIG_NAME:-rig}" "$*" >&2; exit 1; }

# Runs a command as the given user (PostgreSQL and pgbouncer refuse root).
as_user() {
    local user="$1"; shift
    if [ "$(id -u)" = 0 ] && [ "$user" != root ]; then
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}

# The unprivileged owner of the PostgreSQL/pgbouncer processes.
PG_USER="postgres"
if [ "$(id -u)" != 0 ]; then PG_USER="$(id -un)"; fi

# mkdir -p, owned by the given user when running as root.
rig_mkdir() {
    local user="$1"; shift
    mkdir -p "$@"
    if [ "$(id -u)" = 0 ]; then chown "$user": "$@"; fi
}

# True when something listens on 127.0.0.1:<port>.
port_in_use() { ss -Hltn "sport = :$1" | grep -q .; }

# Fails unless the port is free (a clear message beats a server log hunt).
require_free_port() {
    if port_in_use "$1"; then
        rig_die "port $1 is already in use by something this rig did not start: $(ss -Hltnp "sport = :$1" | awk '{print $NF}' | head -1)"
    fi
}

# True when the pid file names a live process whose command is <comm>.
pid_alive() {
    local pidfile="$1" comm="$2" pid
    [ -s "$pidfile" ] || return 1
    pid="$(head -1 "$pidfile" | tr -dc 0-9)"
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$comm" ]
}

# Sends SIGTERM to the process of a pid file (if it is still <comm>) and
# waits for it to exit.
kill_pidfile() {
    local pidfile="$1" comm="$2" pid
    pid_alive "$pidfile" "$comm" || { rm -f "$pidfile"; return 0; }
    pid="$(head -1 "$pidfile" | tr -dc 0-9)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((RIG_TIMEOUT * 10))); do
        [ -d "/proc/$pid" ] || { rm -f "$pidfile"; return 0; }
        sleep 0.1
    done
    rig_die "$comm (pid $pid) did not stop within ${RIG_TIMEOUT}s"
}

# Polls a command until it succeeds; fails after RIG_TIMEOUT seconds.
wait_until() {
    local what="$1"; shift
    for _ in $(seq 1 $((RIG_TIMEOUT * 5))); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    rig_die "timed out after ${RIG_TIMEOUT}s waiting for $what"
}

# --- PostgreSQL instances -----------------------------------------------------

need_pgbin() {
    [ -x "$PGBIN/pg_ctl" ] || rig_die "$PGBIN/pg_ctl not found (apt-get install postgresql-15, or set PGBIN)"
}

pg_running() { as_user "$PG_USER" "$PGBIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

# pg_initdb <datadir> <port> <hba lines>: a fresh cluster listening on
# 127.0.0.1:<port> only, no Unix socket, tuned for tests (fsync off).
pg_initdb() {
    local data="$1" port="$2" hba="$3"
    need_pgbin
    rig_log "initdb $data (port $port)"
    rig_mkdir "$PG_USER" "$data"
    chmod 700 "$data"
    as_user "$PG_USER" "$PGBIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 -N >/dev/null
    cat >>"$data/postgresql.conf" <<CONF

# --- migrate test rig ---
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
CONF
    printf '%s\n' "$hba" >"$data/pg_hba.conf"
}

# pg_start <datadir> <port>: starts the instance unless it already runs.
pg_start() {
    local data="$1" port="$2"
    need_pgbin
    if pg_running "$data"; then
        rig_log "PostgreSQL $data already running"
    else
        require_free_port "$port"
        rig_log "starting PostgreSQL on 127.0.0.1:$port"
        as_user "$PG_USER" "$PGBIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t "$RIG_TIMEOUT" start >/dev/null \
            || { tail -20 "$data/server.log" >&2; rig_die "PostgreSQL on port $port did not start (log: $data/server.log)"; }
    fi
}

pg_stop() {
    local data="$1"
    if [ -d "$data" ] && pg_running "$data"; then
        rig_log "stopping PostgreSQL $data"
        as_user "$PG_USER" "$PGBIN/pg_ctl" -D "$data" -m fast -w -t "$RIG_TIMEOUT" stop >/dev/null
    fi
}

# pg_ensure_test_db <psql connection args...>: creates database "test".
pg_ensure_test_db() {
    if ! "$PGBIN/psql" "$@" -d postgres -tAXc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
        "$PGBIN/psql" "$@" -d postgres -qXc "CREATE DATABASE test" >/dev/null
    fi
}
