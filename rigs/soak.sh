#!/usr/bin/env bash
# The long trial behind the concurrency figures in the README: 10 processes
# starting at once on a fresh database, 50 rounds, in every setup (PostgreSQL
# direct and behind pgbouncer in both pooling modes, MariaDB direct and a
# 3-node Galera cluster with processes spread over the nodes, a SQLite file),
# with the default lease lock and then, for comparison, the session lock.
#   rigs/soak.sh [rounds]        (needs the rigs: rigs/start-all.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-50}"
eval "$(rigs/env.sh)"
export MIGRATE_TEST_POSTGRES_URL="${MIGRATE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
export MIGRATE_TEST_MYSQL_URL="${MIGRATE_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"
export MIGRATE_TEST_REQUIRE_SERVERS=1 MIGRATE_TEST_TOPOLOGY_ROUNDS="$rounds"
for lock in lease session; do
    echo "== lock strategy: $lock, $rounds rounds"
    MIGRATE_TEST_TOPOLOGY_LOCK="$lock" cargo test -p migrata --all-features --test it topology:: 2>&1 \
        | grep -E '^TOPOLOGY|panicked|^thread'
done
