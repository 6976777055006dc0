#!/usr/bin/env bash
# PostgreSQL 15 on 127.0.0.1:5436 that accepts TLS connections only
# (ssl = on, a server certificate signed by a CA made here with openssl,
# pg_hba has a hostssl line and no plain host line).
set -euo pipefail
RIG_NAME=tls-postgres
. "$(dirname "$0")/../lib.sh"

PORT=5436
dir="$RIG_DIR/tls-postgres"
data="$dir/pg"
command -v openssl >/dev/null || rig_die "openssl is not installed (apt-get install openssl)"
mkdir -p "$RIG_DIR"
rig_mkdir "$PG_USER" "$dir"

if [ ! -f "$data/PG_VERSION" ]; then
    pg_initdb "$data" "$PORT" "hostssl all all 127.0.0.1/32 trust"
    cat >>"$data/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
CONF
fi
if [ ! -s "$data/server.crt" ] || [ ! -s "$data/server.key" ]; then
    # A CA of the rig's own signs the server certificate: rustls refuses a
    # self-signed certificate that is its own CA as the server's.
    rig_log "generating a CA and a server certificate (CN=localhost, IP 127.0.0.1)"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=migrate test CA" \
        -keyout "$dir/root.key" -out "$dir/root.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$data/server.key" -out "$dir/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/root.crt" -CAkey "$dir/root.key" \
        -CAcreateserial -days 3650 -extfile "$dir/server.ext" -out "$data/server.crt" 2>/dev/null
    chmod 600 "$data/server.key" "$dir/root.key"
    chmod 644 "$dir/root.crt"
    if [ "$(id -u)" = 0 ]; then chown "$PG_USER": "$data/server.key" "$data/server.crt"; fi
fi
pg_start "$data" "$PORT"
PGSSLMODE=require pg_ensure_test_db -h 127.0.0.1 -p "$PORT" -U postgres
if PGSSLMODE=disable "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d test -tAXc 'SELECT 1' >/dev/null 2>&1; then
    rig_die "a connection without TLS was accepted on $PORT"
fi
rig_log "up: TLS-only PostgreSQL on 5436 (root cert $dir/root.crt)"
