#!/usr/bin/env bash
# PostgreSQL 15 on 127.0.0.1:5436 that accepts TLS connections only
# (ssl = on, a self-signed certificate made here with openssl, pg_hba has a
# hostssl line and no plain host line).
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
    rig_log "generating a self-signed certificate (CN=localhost, IP 127.0.0.1)"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$data/server.key" -out "$data/server.crt" 2>/dev/null
    chmod 600 "$data/server.key"
    if [ "$(id -u)" = 0 ]; then chown "$PG_USER": "$data/server.key" "$data/server.crt"; fi
    # Self-signed: the certificate is its own CA, for sslmode=verify-full tests.
    cp "$data/server.crt" "$dir/root.crt"
    chmod 644 "$dir/root.crt"
fi
pg_start "$data" "$PORT"
PGSSLMODE=require pg_ensure_test_db -h 127.0.0.1 -p "$PORT" -U postgres
if PGSSLMODE=disable "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d test -tAXc 'SELECT 1' >/dev/null 2>&1; then
    rig_die "a connection without TLS was accepted on $PORT"
fi
rig_log "up: TLS-only PostgreSQL on 5436 (root cert $dir/root.crt)"
