#!/usr/bin/env bash
# Prints the export lines for the URLs the rig tests read:
#   eval "$(rigs/env.sh)"
set -euo pipefail
RIG_DIR="${RIG_DIR:-/tmp/migrate-rigs}"
cat <<ENV
export MIGRATE_TEST_PGBOUNCER_TX_URL=postgres://postgres@127.0.0.1:6432/test
export MIGRATE_TEST_PGBOUNCER_SESSION_URL=postgres://postgres@127.0.0.1:6433/test
export MIGRATE_TEST_PGBOUNCER_BACKEND_URL=postgres://postgres@127.0.0.1:5433/test
export MIGRATE_TEST_PG_PRIMARY_URL=postgres://postgres@127.0.0.1:5434/test
export MIGRATE_TEST_PG_STANDBY_URL=postgres://postgres@127.0.0.1:5435/test
export MIGRATE_TEST_GALERA_URLS=mysql://root@127.0.0.1:3307/test,mysql://root@127.0.0.1:3308/test,mysql://root@127.0.0.1:3309/test
export MIGRATE_TEST_PG_TLS_URL='postgres://postgres@127.0.0.1:5436/test?sslmode=require'
export MIGRATE_TEST_PG_TLS_ROOT_CERT=$(printf %q "$RIG_DIR/tls-postgres/root.crt")
ENV
