#!/usr/bin/env bash
# A 3-node MariaDB 10.11 Galera cluster on loopback:
#   node  client  gcomm  IST   SST (rsync)
#   1     3307    4567   4568  4444
#   2     3308    4577   4578  4454
#   3     3309    4587   4588  4464
# Node 1 bootstraps (--wsrep-new-cluster) when no node runs; the others join
# (state transfer by rsync). Waits until all three are Synced in a cluster of 3.
set -euo pipefail
RIG_NAME=galera
. "$(dirname "$0")/../lib.sh"

dir="$RIG_DIR/galera"
MY_USER=mysql
if [ "$(id -u)" != 0 ]; then MY_USER="$(id -un)"; fi
PROVIDER="${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}"
[ -f "$PROVIDER" ] || rig_die "$PROVIDER not found (apt-get install galera-4)"
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || rig_die "mariadbd not found (apt-get install mariadb-server)"
command -v rsync >/dev/null || rig_die "rsync not found (apt-get install rsync)"
MARIADBD="$(command -v mariadbd || echo /usr/sbin/mariadbd)"
mkdir -p "$RIG_DIR"
rig_mkdir "$MY_USER" "$dir"

client_port() { echo $((3306 + $1)); }
gcomm_port() { echo $((4557 + 10 * $1)); }

write_cnf() {
    local n="$1" node="$dir/node$1" gport
    gport="$(gcomm_port "$n")"
    cat >"$node/my.cnf" <<CNF
[mariadbd]
user = $MY_USER
datadir = $node/data
socket = $node/mysqld.sock
pid-file = $node/mysqld.pid
log-error = $node/error.log
port = $(client_port "$n")
bind-address = 127.0.0.1
server_id = $n
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
innodb_buffer_pool_size = 64M
innodb_log_file_size = 32M
innodb_flush_log_at_trx_commit = 0
max_connections = 300
wsrep_on = ON
wsrep_provider = $PROVIDER
wsrep_cluster_name = migrate_rig
wsrep_cluster_address = gcomm://127.0.0.1:$(gcomm_port 1),127.0.0.1:$(gcomm_port 2),127.0.0.1:$(gcomm_port 3)
wsrep_node_name = node$n
wsrep_node_address = 127.0.0.1:$gport
wsrep_node_incoming_address = 127.0.0.1:$(client_port "$n")
wsrep_provider_options = "base_host=127.0.0.1;base_port=$gport;gmcast.listen_addr=tcp://127.0.0.1:$gport;ist.recv_addr=127.0.0.1:$((gport + 1));gcache.size=64M;gcache.recover=yes"
wsrep_sst_method = rsync
wsrep_sst_receive_address = 127.0.0.1:$((4434 + 10 * n))
wsrep_slave_threads = 2

[client]
socket = $node/mysqld.sock
port = $(client_port "$n")
CNF
}

node_running() { pid_alive "$dir/node$1/mysqld.pid" mariadbd; }
sql() { mysql --defaults-file="$dir/node$1/my.cnf" -h 127.0.0.1 -P "$(client_port "$1")" -u root -NBe "$2"; }
status_of() { sql "$1" "SHOW STATUS LIKE '$2'" | awk '{print $2}'; }
synced() { [ "$(status_of "$1" wsrep_local_state_comment)" = Synced ] && [ "$(status_of "$1" wsrep_cluster_size)" = 3 ]; }
ready() { [ "$(status_of "$1" wsrep_ready)" = ON ]; }

start_node() {
    local n="$1" node="$dir/node$1"; shift
    if node_running "$n"; then
        rig_log "node $n already running"
        return 0
    fi
    require_free_port "$(client_port "$n")"
    require_free_port "$(gcomm_port "$n")"
    rig_log "starting node $n on 127.0.0.1:$(client_port "$n") $*"
    # Detached: mariadbd does not daemonize itself.
    setsid "$MARIADBD" --defaults-file="$node/my.cnf" "$@" </dev/null >>"$node/error.log" 2>&1 &
}

for n in 1 2 3; do
    rig_mkdir "$MY_USER" "$dir/node$n" "$dir/node$n/data"
    write_cnf "$n"
done

# Node 1's data dir is made with mariadb-install-db (root with an empty
# password for localhost, 127.0.0.1 and ::1); nodes 2 and 3 receive theirs
# by SST from the cluster.
if [ ! -d "$dir/node1/data/mysql" ]; then
    rig_log "mariadb-install-db for node 1"
    mariadb-install-db --defaults-file="$dir/node1/my.cnf" --user="$MY_USER" \
        --auth-root-authentication-method=normal --skip-test-db >"$dir/node1/install.log" 2>&1 \
        || { tail -20 "$dir/node1/install.log" >&2; rig_die "mariadb-install-db failed"; }
fi

if ! node_running 1 && ! node_running 2 && ! node_running 3; then
    # Bootstrapping a test cluster: whichever node stopped last, node 1 leads.
    if [ -f "$dir/node1/data/grastate.dat" ]; then
        sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$dir/node1/data/grastate.dat"
    fi
    start_node 1 --wsrep-new-cluster
    wait_until "node 1 to bootstrap (log: $dir/node1/error.log)" ready 1
else
    start_node 1
fi
start_node 2
start_node 3
for n in 1 2 3; do
    if ! (wait_until "node $n to be Synced in a cluster of 3" synced "$n"); then
        tail -30 "$dir/node$n/error.log" >&2
        exit 1
    fi
done
sql 1 "CREATE DATABASE IF NOT EXISTS test"
rig_log "up: Galera nodes 3307, 3308, 3309 Synced, cluster size 3"
