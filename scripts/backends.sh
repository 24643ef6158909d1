#!/usr/bin/env bash
# scripts/backends.sh -- start, stop and inspect the real backends that hasim's
# integration tests (test/integration/) talk to:
#   * a 6-node Redis Cluster on 127.0.0.1:7000-7005: masters 7000/7001/7002 own
#     slots 0-5460/5461-10922/10923-16383, replicas are paired deterministically
#     7003->7000, 7004->7001, 7005->7002 (redis-cli --cluster create --cluster-replicas 1);
#   * a MariaDB primary (127.0.0.1:3307, server-id 1, semi-sync master) and a
#     replica (127.0.0.1:3308, server-id 2, semi-sync slave, GTID replication),
#     following MariaDB's semi-sync and GTID replication pages;
#   * the sweep queue: a standalone Redis on 127.0.0.1:6390 that BullMQ uses to
#     fan `hasim swarm --queue` seeds out to `hasim worker` processes. It is never
#     the cluster under test. BullMQ's production guide: `maxmemory-policy
#     noeviction` is the only setting that guarantees correct behaviour, and AOF
#     (appendfsync everysec) keeps queued seeds across a restart (docs/sweeps.md).
# Why: the simulator's Redis and MySQL models are checked against the real
# servers on the same inputs, and CI (.ci/run) needs a one-line way to bring
# them up before the integration tests and to tear them down afterwards.
#
# Everything binds to 127.0.0.1 only, runs from a throwaway state dir
# (${HASIM_BACKENDS_DIR:-/tmp/hasim-backends}) and is stopped by pid file, so the
# machine's own Redis (6379) and MariaDB (3306) are never touched.
#
# Usage: scripts/backends.sh up|down|status [all|redis-cluster|mariadb|queue]
#   up      clean up leftovers of an earlier run, install missing Debian
#           packages, start and wait until healthy (bounded waits)
#   down    stop exactly the processes started by `up` and remove the state
#           dir; safe to repeat and safe when nothing is up
#   status  print one line per server; exit 0 only when all are healthy
# Environment (all optional):
#   HASIM_BACKENDS_DIR           state dir                  (/tmp/hasim-backends)
#   HASIM_BACKENDS_TIMEOUT_S     limit for each wait step   (60)
#   HASIM_REDIS_NODE_TIMEOUT_MS  cluster-node-timeout       (5000)
#   HASIM_SEMI_SYNC_TIMEOUT_MS   rpl_semi_sync_master_timeout (2000)
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin"

STATE_DIR="${HASIM_BACKENDS_DIR:-/tmp/hasim-backends}"
WAIT_LIMIT_S="${HASIM_BACKENDS_TIMEOUT_S:-60}"
REDIS_NODE_TIMEOUT_MS="${HASIM_REDIS_NODE_TIMEOUT_MS:-5000}"
SEMI_SYNC_TIMEOUT_MS="${HASIM_SEMI_SYNC_TIMEOUT_MS:-2000}"

REDIS_DIR="$STATE_DIR/redis-cluster"
REDIS_MASTERS=(7000 7001 7002)
REDIS_REPLICAS=(7003 7004 7005) # REDIS_REPLICAS[i] replicates REDIS_MASTERS[i]
REDIS_PORTS=("${REDIS_MASTERS[@]}" "${REDIS_REPLICAS[@]}")
# Slot ranges that `redis-cli --cluster create` assigns to 3 masters, in order.
REDIS_SLOTS=("0-5460" "5461-10922" "10923-16383")

MDB_DIR="$STATE_DIR/mariadb"
MDB_PRIMARY_PORT=3307
MDB_REPLICA_PORT=3308
MDB_REPL_USER=repl
MDB_REPL_PASSWORD=replpw

QUEUE_DIR="$STATE_DIR/queue"
QUEUE_PORT=6390

MARKER=".hasim-backends" # written into STATE_DIR; `down` only deletes a dir that has it
T0_NS=$(date +%s%N)

# ---------------------------------------------------------------- helpers ---

log() { printf '[%5.1fs] %-8s %s\n' "$(elapsed_s)" "$1" "${*:2}"; }
elapsed_s() { awk -v n="$(date +%s%N)" -v t="$T0_NS" 'BEGIN { printf "%.1f", (n - t) / 1e9 }'; }
die() { echo "backends.sh: error: $*" >&2; exit 1; }

usage() {
  sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# wait_for LIMIT_S DESCRIPTION CMD... : poll CMD every 50 ms until it succeeds;
# returns 1 (after saying what it waited for) once LIMIT_S seconds have passed.
wait_for() {
  local limit_s=$1 what=$2
  shift 2
  local deadline=$(($(date +%s) + limit_s))
  until "$@" >/dev/null 2>&1; do
    if (($(date +%s) >= deadline)); then
      echo "backends.sh: error: timed out after ${limit_s}s waiting for: $what" >&2
      return 1
    fi
    sleep 0.05
  done
}

# True when something accepts TCP connections on 127.0.0.1:PORT (bash /dev/tcp).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_owner() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:.*' | head -1
  fi
}

require_free_ports() {
  local p busy=()
  for p in "$@"; do port_busy "$p" && busy+=("$p")
  done
  ((${#busy[@]} == 0)) && return 0
  for p in "${busy[@]}"; do
    echo "backends.sh: error: 127.0.0.1:$p is already in use $(port_owner "$p")" >&2
  done
  die "ports in use are not ours (no pid file under $STATE_DIR); stop whatever holds them" \
    "(a run with another HASIM_BACKENDS_DIR?) and retry"
}

# pid_of PIDFILE EXE_GLOB CMDLINE_GLOB: print the pid from PIDFILE if that
# process is alive and still is the program we started (pids can be reused).
pid_of() {
  local pidfile=$1 exe_glob=$2 cmd_glob=$3 pid exe cmd
  [[ -s $pidfile ]] || return 1
  pid=$(tr -dc '0-9' <"$pidfile")
  [[ -n $pid && -d /proc/$pid ]] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  # shellcheck disable=SC2053 # globs on purpose
  [[ $exe == $exe_glob && $cmd == $cmd_glob ]] || return 1
  echo "$pid"
}

# stop_pids WHAT PID...: SIGTERM all at once (plus SIGCONT, in case a fault test
# froze one with SIGSTOP), wait up to 15 s for clean exits, then SIGKILL the rest.
stop_pids() {
  local what=$1 pid i left
  shift
  (($# > 0)) || return 0
  kill -TERM "$@" 2>/dev/null || true
  kill -CONT "$@" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    left=()
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
    ((${#left[@]} == 0)) && return 0
    sleep 0.05
  done
  echo "backends.sh: warning: $what pid(s) ${left[*]} ignored SIGTERM for 15 s; sending SIGKILL" >&2
  kill -KILL "${left[@]}" 2>/dev/null || true
  for pid in "${left[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  done
}

check_state_dir() {
  [[ $STATE_DIR == /* ]] || die "HASIM_BACKENDS_DIR must be an absolute path (got '$STATE_DIR')"
  [[ $STATE_DIR != / && $STATE_DIR != *$'\n'* ]] || die "refusing state dir '$STATE_DIR'"
}

# Remove DIR (inside STATE_DIR) only if STATE_DIR carries our marker, so a
# mistyped HASIM_BACKENDS_DIR can never make `down` delete someone's files.
remove_state_path() {
  local dir=$1
  [[ -e $dir ]] || return 0
  [[ -f $STATE_DIR/$MARKER ]] ||
    die "$STATE_DIR has no $MARKER marker: not created by backends.sh, not deleting $dir"
  rm -rf -- "$dir"
}

prepare_state_dir() {
  if [[ -e $STATE_DIR && ! -f $STATE_DIR/$MARKER ]]; then
    [[ -d $STATE_DIR && -z $(ls -A "$STATE_DIR") ]] ||
      die "$STATE_DIR exists and was not created by backends.sh; pick another HASIM_BACKENDS_DIR"
  fi
  mkdir -p "$STATE_DIR"
  echo "state dir of scripts/backends.sh; safe to delete once 'down' has run" >"$STATE_DIR/$MARKER"
}

# ensure_binaries TARGET...: install the Debian packages that provide missing programs.
ensure_binaries() {
  local target missing=() pkgs=()
  for target in "$@"; do
    case $target in
      redis-cluster | queue)
        if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
          missing+=(redis-server redis-cli)
          pkgs+=(redis-server redis-tools)
        fi
        ;;
      mariadb)
        local b need=0
        for b in mariadbd mariadb-install-db mariadb mariadb-admin; do
          command -v "$b" >/dev/null || { missing+=("$b"); need=1; }
        done
        ((need == 0)) || pkgs+=(mariadb-server mariadb-client)
        ;;
    esac
  done
  ((${#pkgs[@]} == 0)) && return 0
  log setup "missing ${missing[*]}: apt-get install ${pkgs[*]}"
  (($(id -u) == 0)) || die "installing ${pkgs[*]} needs root; run: sudo apt-get install -y ${pkgs[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
  local b
  for b in "${missing[@]}"; do
    command -v "$b" >/dev/null || die "$b still missing after apt-get install ${pkgs[*]}"
  done
  log setup "installed ${pkgs[*]}"
}

# ---------------------------------------------------------- redis cluster ---

# Every client call is bounded: a node frozen with SIGSTOP by a fault test still
# accepts connections but never answers.
rcli() { timeout 5 redis-cli -h 127.0.0.1 -p "$@"; }

# Debian's /usr/bin/redis-server is a symlink to redis-check-rdb, so /proc/PID/exe
# names that; the process title (cmdline) is "redis-server 127.0.0.1:PORT [cluster]".
redis_pid() { pid_of "$REDIS_DIR/$1/redis.pid" '*/redis-*' "redis-server 127.0.0.1:$1 *"; }

redis_down() {
  local p pid pids=()
  for p in "${REDIS_PORTS[@]}"; do
    if pid=$(redis_pid "$p"); then pids+=("$pid"); fi
  done
  # All at once: one by one, each SIGTERM takes redis 7.0 about 1-2 s to act on.
  stop_pids redis-server "${pids[@]}"
  remove_state_path "$REDIS_DIR"
  log redis "stopped ${#pids[@]} node(s); $REDIS_DIR is gone"
}

redis_cluster_ok() { rcli "$1" cluster info | grep -q '^cluster_state:ok'; }

# ROLE on a replica prints: slave / master host / master port / link state / offset.
redis_replica_attached() {
  local role
  role=$(rcli "$1" role | tr '\n' ' ')
  [[ $role == "slave 127.0.0.1 $2 connected "* ]] &&
    rcli "$1" info replication | grep -q '^master_link_status:up'
}

redis_master_has_replica() {
  rcli "$1" info replication | grep -q "^slave0:ip=127.0.0.1,port=$2,state=online"
}

# The master line for PORT in CLUSTER NODES must list exactly SLOTS.
redis_master_owns() {
  rcli "$1" cluster nodes | awk -v a="127.0.0.1:$1@" -v s="$2" \
    'index($2, a) == 1 && $3 ~ /master/ { found = ($9 == s && NF == 9) } END { exit !found }'
}

# True when node PORT's CLUSTER NODES shows every replica with its fixed master
# (by node id, given as "7003=<id of 7000> 7004=<id of 7001> ..." in $2).
# Gossip spreads this view a little after CLUSTER REPLICATE returns, and clients
# read CLUSTER SLOTS from any node, so `up` waits until every node agrees.
redis_view_complete() {
  rcli "$1" cluster nodes | awk -v want="$2" '
    BEGIN { n = split(want, pairs, " "); for (i = 1; i <= n; i++) { split(pairs[i], kv, "="); need[kv[1]] = kv[2] } }
    { split($2, hp, "[:@]"); if ($3 ~ /slave/ && need[hp[2]] == $4) ok++ }
    END { exit !(ok == n) }'
}

# Redis 7.0 leaves a replica out of CLUSTER SLOTS while its replication offset is
# still 0 (isReplicaAvailable in cluster.c), i.e. until its master has
# replicated something; clients such as ioredis build their slot table from
# CLUSTER SLOTS. A throwaway SET + DEL on each master moves the offsets on.
redis_advance_offsets() {
  local i n key slot low high
  for i in 0 1 2; do
    low=${REDIS_SLOTS[$i]%-*} high=${REDIS_SLOTS[$i]#*-}
    for ((n = 0; ; n++)); do
      ((n < 1000)) || die "found no key for slots ${REDIS_SLOTS[$i]}"
      key="hasim:backends:offset:$n"
      slot=$(rcli "${REDIS_MASTERS[0]}" cluster keyslot "$key")
      ((slot >= low && slot <= high)) && break
    done
    rcli "${REDIS_MASTERS[$i]}" set "$key" up >/dev/null
    rcli "${REDIS_MASTERS[$i]}" del "$key" >/dev/null
  done
}

# True when node PORT's CLUSTER SLOTS lists all three replicas (ports 7003-7005
# appear as lines of their own in redis-cli's flattened reply; no slot bound does).
redis_slots_complete() {
  local r
  for r in "${REDIS_REPLICAS[@]}"; do
    rcli "$1" cluster slots | grep -qx "$r" || return 1
  done
}

redis_up() {
  local p i m r mid want="" cmd
  redis_down >/dev/null
  local bus_ports=() # cluster bus: data port + 10000
  for p in "${REDIS_PORTS[@]}"; do bus_ports+=($((p + 10000))); done
  require_free_ports "${REDIS_PORTS[@]}" "${bus_ports[@]}"
  mkdir -p "$REDIS_DIR"
  for p in "${REDIS_PORTS[@]}"; do
    mkdir -p "$REDIS_DIR/$p"
    # --repl-diskless-sync-delay 0: no 5 s pause before a replica's full sync;
    # --enable-debug-command local: DEBUG SLEEP is used to inject hangs (redis.md s7.1).
    cmd=(redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes
      --cluster-config-file "nodes-$p.conf" --cluster-node-timeout "$REDIS_NODE_TIMEOUT_MS"
      --appendonly no --save "" --enable-debug-command local --repl-diskless-sync-delay 0
      --dir "$REDIS_DIR/$p" --daemonize yes --pidfile "$REDIS_DIR/$p/redis.pid"
      --logfile "$REDIS_DIR/$p/redis.log")
    # Recorded NUL-separated, like /proc/PID/cmdline, because redis-server rewrites its process
    # title: hasim's live fault driver restarts a crashed node with exactly this line
    # (src/live/faults/servers.ts).
    printf '%s\0' "${cmd[@]}" >"$REDIS_DIR/$p/cmdline"
    "${cmd[@]}"
  done
  for p in "${REDIS_PORTS[@]}"; do
    wait_for "$WAIT_LIMIT_S" "redis :$p to answer PING" rcli "$p" ping ||
      die "redis :$p did not start; see $REDIS_DIR/$p/redis.log"
  done
  log redis "6 nodes answering PING on 127.0.0.1:7000-7005"

  # Masters first (slots as `--cluster create` assigns them), then each replica
  # is introduced and attached to its fixed master (redis.md s7.2b).
  timeout "$WAIT_LIMIT_S" redis-cli --cluster create 127.0.0.1:7000 127.0.0.1:7001 127.0.0.1:7002 \
    --cluster-replicas 0 --cluster-yes >"$REDIS_DIR/create.log" 2>&1 ||
    die "redis-cli --cluster create failed; see $REDIS_DIR/create.log"
  for i in 0 1 2; do
    m=${REDIS_MASTERS[$i]} r=${REDIS_REPLICAS[$i]}
    mid=$(rcli "$m" cluster myid)
    rcli "$r" cluster meet 127.0.0.1 "${REDIS_MASTERS[0]}" >/dev/null
    wait_for "$WAIT_LIMIT_S" ":$r to learn master :$m ($mid)" \
      bash -c "timeout 5 redis-cli -h 127.0.0.1 -p $r cluster nodes | grep -q '^$mid .*master'" ||
      die "redis :$r never saw :$m"
    [[ $(rcli "$r" cluster replicate "$mid") == OK ]] || die "CLUSTER REPLICATE on :$r failed"
    want="$want $r=$mid"
  done
  log redis "masters 7000-7002 created; replicas 7003->7000 7004->7001 7005->7002 requested"

  for p in "${REDIS_PORTS[@]}"; do
    wait_for "$WAIT_LIMIT_S" ":$p cluster_state:ok" redis_cluster_ok "$p" ||
      die "redis :$p not cluster_state:ok; see $REDIS_DIR/$p/redis.log"
  done
  for i in 0 1 2; do
    m=${REDIS_MASTERS[$i]} r=${REDIS_REPLICAS[$i]}
    wait_for "$WAIT_LIMIT_S" ":$r ROLE = slave of :$m, connected" redis_replica_attached "$r" "$m" ||
      die "redis :$r not attached to :$m; see $REDIS_DIR/$r/redis.log"
    wait_for "$WAIT_LIMIT_S" ":$m to list :$r as online" redis_master_has_replica "$m" "$r" ||
      die "redis :$m does not list :$r; see $REDIS_DIR/$m/redis.log"
    redis_master_owns "$m" "${REDIS_SLOTS[$i]}" ||
      die "redis :$m does not own exactly slots ${REDIS_SLOTS[$i]} (see CLUSTER NODES)"
  done
  redis_advance_offsets # as early as possible: the new offsets then spread while we wait below
  log redis "replicas attached; waiting for every node's CLUSTER NODES/SLOTS to show them"
  for p in "${REDIS_PORTS[@]}"; do
    wait_for "$WAIT_LIMIT_S" ":$p CLUSTER NODES to show all 3 replica pairings" redis_view_complete "$p" "$want" ||
      die "redis :$p never saw the full topology; see $REDIS_DIR/$p/redis.log"
  done
  for p in "${REDIS_PORTS[@]}"; do
    wait_for "$WAIT_LIMIT_S" ":$p CLUSTER SLOTS to list all 3 replicas" redis_slots_complete "$p" ||
      die "redis :$p CLUSTER SLOTS still lacks a replica; see $REDIS_DIR/$p/redis.log"
  done
  log redis "ready: all 6 nodes cluster_state:ok, agree on slots 0-5460/5461-10922/10923-16383 and 3 replicas"
}

redis_status() {
  local p pid ok=0 line i
  for p in "${REDIS_PORTS[@]}"; do
    if ! pid=$(redis_pid "$p"); then
      echo "redis    :$p  down"
      ok=1
      continue
    fi
    line="redis    :$p  pid $pid  $(rcli "$p" cluster info 2>/dev/null | grep -o 'cluster_state:[a-z]*' || echo 'no answer')"
    # ROLE, flattened by redis-cli: "master OFFSET [HOST PORT OFFSET]..." or
    # "slave HOST PORT LINKSTATE OFFSET".
    line="$line  $(rcli "$p" role 2>/dev/null | tr '\n' ' ' | awk '
      $1 == "master" { r = "master, replicas:"; for (i = 3; i + 1 <= NF; i += 3) r = r " " $i ":" $(i + 1); print r }
      $1 == "slave"  { print "replica of " $2 ":" $3 " (" $4 ")" }')"
    echo "$line"
    redis_cluster_ok "$p" 2>/dev/null || ok=1
  done
  for i in 0 1 2; do
    redis_replica_attached "${REDIS_REPLICAS[$i]}" "${REDIS_MASTERS[$i]}" 2>/dev/null || ok=1
  done
  return $ok
}

# ---------------------------------------------------------------- mariadb ---

mdb_pid() { pid_of "$MDB_DIR/$1.pid" '*mariadbd*' "*--datadir=$MDB_DIR/$1 *"; }
# Clients always talk to our servers through their own sockets and ignore
# /etc/mysql (whose [client-server] section points at the machine's 3306 server).
mdb() {
  local n=$1
  shift
  timeout $((WAIT_LIMIT_S + 10)) mariadb --no-defaults -uroot --socket="$MDB_DIR/$n.sock" "$@"
}

mariadb_down() {
  local n pid pids=()
  for n in primary replica; do
    if pid=$(mdb_pid "$n"); then pids+=("$pid"); fi
  done
  stop_pids mariadbd "${pids[@]}"
  remove_state_path "$MDB_DIR"
  log mariadb "stopped ${#pids[@]} server(s); $MDB_DIR is gone"
}

mdb_start() {
  local n=$1 port=$2
  shift 2
  # --no-defaults: ignore /etc/mysql (it configures the machine's own server on 3306).
  # --user=root: mariadbd refuses to run as root without it.
  # gtid_strict_mode stays at MariaDB's default (OFF), so the pair behaves like an
  # out-of-the-box server and like the simulated cluster: a local write on the
  # replica diverges silently until a replicated row collides with it (error 1062
  # stops the SQL thread). With --gtid-strict-mode=1 (mysql.md s6) the next
  # primary event would stop it at once with error 1950 instead.
  # --innodb-flush-log-at-trx-commit=2: each commit writes the redo log to the OS
  # at once and fsyncs it about once a second (MariaDB KB, "InnoDB System
  # Variables", innodb_flush_log_at_trx_commit). A commit then survives a mariadbd
  # crash or SIGKILL, which is what the live fault tests inflict, because the OS
  # still holds the log; only an OS crash or power loss can lose the last second.
  # It spares the fsync per commit group (docs/benchmarks.md, live section). The
  # binary log is not fsynced per commit either (sync_binlog=0, the default).
  setsid mariadbd --no-defaults --user=root --datadir="$MDB_DIR/$n" \
    --bind-address=127.0.0.1 --port="$port" --socket="$MDB_DIR/$n.sock" \
    --pid-file="$MDB_DIR/$n.pid" --log-error="$MDB_DIR/$n.err" \
    --skip-name-resolve --innodb-buffer-pool-size=64M --performance-schema=OFF \
    --innodb-flush-log-at-trx-commit=2 \
    --log-bin=mysql-bin --relay-log=relay-bin --binlog-format=ROW \
    --gtid-domain-id=0 "$@" \
    </dev/null >>"$MDB_DIR/$n.out" 2>&1 &
  echo $! >"$MDB_DIR/$n.pid" # mariadbd rewrites it with the same pid (setsid does not fork here)
}

mdb_wait_up() {
  local n=$1 port=$2 deadline=$(($(date +%s) + WAIT_LIMIT_S)) pid
  pid=$(cat "$MDB_DIR/$n.pid")
  until timeout 5 mariadb-admin --no-defaults -uroot --socket="$MDB_DIR/$n.sock" ping >/dev/null 2>&1; do
    # Only "is it alive": right after the fork /proc/PID/exe may still be bash.
    kill -0 "$pid" 2>/dev/null ||
      die "mariadbd $n (:$port) exited during start-up; last lines of $MDB_DIR/$n.err:
$(tail -n 15 "$MDB_DIR/$n.err" 2>/dev/null)"
    (($(date +%s) < deadline)) || die "mariadbd $n (:$port) not answering after ${WAIT_LIMIT_S}s"
    sleep 0.05
  done
}

mdb_slave_field() { mdb replica -e 'SHOW SLAVE STATUS\G' | awk -F': ' -v f="$1" '$1 ~ "^ *"f"$" { print $2 }'; }
mdb_status_var() { mdb "$1" -N -e "SHOW GLOBAL STATUS LIKE '$2'" | cut -f2; }

mdb_threads_running() {
  [[ $(mdb_slave_field Slave_IO_Running) == Yes && $(mdb_slave_field Slave_SQL_Running) == Yes ]]
}

mdb_semi_sync_on() {
  [[ $(mdb_status_var primary Rpl_semi_sync_master_clients) == 1 &&
    $(mdb_status_var primary Rpl_semi_sync_master_status) == ON ]]
}

mariadb_up() {
  local n gtid
  mariadb_down >/dev/null
  require_free_ports "$MDB_PRIMARY_PORT" "$MDB_REPLICA_PORT"
  mkdir -p "$MDB_DIR"
  for n in primary replica; do
    # normal root auth: root@localhost, root@127.0.0.1 and root@::1 with an empty
    # password, so tests can connect over TCP as root without a password.
    mariadb-install-db --no-defaults --user=root --datadir="$MDB_DIR/$n" \
      --auth-root-authentication-method=normal --skip-test-db >"$MDB_DIR/install-$n.log" 2>&1 ||
      die "mariadb-install-db for $n failed; see $MDB_DIR/install-$n.log"
  done
  log mariadb "datadirs created with mariadb-install-db"

  mdb_start primary "$MDB_PRIMARY_PORT" --server-id=1 \
    --rpl-semi-sync-master-enabled=ON --rpl-semi-sync-master-wait-point=AFTER_SYNC \
    --rpl-semi-sync-master-timeout="$SEMI_SYNC_TIMEOUT_MS"
  # read_only stays OFF on purpose: tests make local (errant) writes on the replica.
  mdb_start replica "$MDB_REPLICA_PORT" --server-id=2 --log-slave-updates \
    --relay-log-recovery=ON --rpl-semi-sync-slave-enabled=ON --read-only=OFF
  mdb_wait_up primary "$MDB_PRIMARY_PORT"
  mdb_wait_up replica "$MDB_REPLICA_PORT"
  log mariadb "mariadbd answering on 127.0.0.1:$MDB_PRIMARY_PORT (primary) and :$MDB_REPLICA_PORT (replica)"

  # Accounts and databases are created on the primary only and reach the
  # replica through replication (creating them on both stops the SQL thread
  # with error 1396, mysql.md s6). Semi-sync is paused for these statements:
  # with no replica connected yet each commit would wait the full semi-sync
  # timeout and switch Rpl_semi_sync_master_status to OFF.
  mdb primary -e "
    SET GLOBAL rpl_semi_sync_master_enabled = OFF;
    CREATE USER '$MDB_REPL_USER'@'127.0.0.1' IDENTIFIED BY '$MDB_REPL_PASSWORD';
    GRANT REPLICATION SLAVE ON *.* TO '$MDB_REPL_USER'@'127.0.0.1';
    CREATE DATABASE hasim;
    SET GLOBAL rpl_semi_sync_master_enabled = ON;"
  mdb replica -e "
    CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$MDB_PRIMARY_PORT,
      MASTER_USER='$MDB_REPL_USER', MASTER_PASSWORD='$MDB_REPL_PASSWORD',
      MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
    START SLAVE;"
  wait_for "$WAIT_LIMIT_S" "replica Slave_IO_Running and Slave_SQL_Running = Yes" mdb_threads_running ||
    die "replication did not start: IO error '$(mdb_slave_field Last_IO_Error)'," \
      "SQL error '$(mdb_slave_field Last_SQL_Error)'; see $MDB_DIR/replica.err"
  gtid=$(mdb primary -N -e 'SELECT @@gtid_binlog_pos')
  [[ $(mdb replica -N -e "SELECT MASTER_GTID_WAIT('$gtid', $WAIT_LIMIT_S)") == 0 ]] ||
    die "replica did not apply primary's $gtid within ${WAIT_LIMIT_S}s"
  wait_for "$WAIT_LIMIT_S" "primary Rpl_semi_sync_master_clients=1 and status ON" mdb_semi_sync_on ||
    die "semi-sync did not engage; see $MDB_DIR/primary.err"
  for n in "$MDB_PRIMARY_PORT" "$MDB_REPLICA_PORT"; do
    timeout 10 mariadb --no-defaults -uroot -h127.0.0.1 -P"$n" -e 'SELECT 1' >/dev/null ||
      die "root cannot log in over TCP without a password on 127.0.0.1:$n"
  done
  log mariadb "ready: replica IO/SQL Yes, applied $gtid, semi-sync ON, db 'hasim' present"
}

mariadb_status() {
  local ok=0 pid
  if pid=$(mdb_pid primary); then
    printf 'mariadb  :%s  pid %s  primary  gtid_binlog_pos=%s  semi_sync=%s  semi_sync_clients=%s\n' \
      "$MDB_PRIMARY_PORT" "$pid" "$(mdb primary -N -e 'SELECT @@gtid_binlog_pos' 2>/dev/null)" \
      "$(mdb_status_var primary Rpl_semi_sync_master_status 2>/dev/null)" \
      "$(mdb_status_var primary Rpl_semi_sync_master_clients 2>/dev/null)"
    mdb_semi_sync_on 2>/dev/null || ok=1
  else
    echo "mariadb  :$MDB_PRIMARY_PORT  down"
    ok=1
  fi
  if pid=$(mdb_pid replica); then
    printf 'mariadb  :%s  pid %s  replica  Slave_IO_Running=%s  Slave_SQL_Running=%s  gtid_slave_pos=%s\n' \
      "$MDB_REPLICA_PORT" "$pid" "$(mdb_slave_field Slave_IO_Running 2>/dev/null)" \
      "$(mdb_slave_field Slave_SQL_Running 2>/dev/null)" \
      "$(mdb replica -N -e 'SELECT @@gtid_slave_pos' 2>/dev/null)"
    mdb_threads_running 2>/dev/null || ok=1
  else
    echo "mariadb  :$MDB_REPLICA_PORT  down"
    ok=1
  fi
  return $ok
}

# ------------------------------------------------------------ sweep queue ---

queue_pid() { pid_of "$QUEUE_DIR/redis.pid" '*/redis-*' "redis-server 127.0.0.1:$QUEUE_PORT*"; }

queue_down() {
  local pid pids=()
  if pid=$(queue_pid); then pids+=("$pid"); fi
  stop_pids redis-server "${pids[@]}"
  remove_state_path "$QUEUE_DIR"
  log queue "stopped ${#pids[@]} server(s); $QUEUE_DIR is gone"
}

# The settings BullMQ's "Going to production" guide asks for: noeviction (an
# evicted lock or job key silently loses work) and AOF every second. No RDB
# snapshots: the AOF is the one copy.
queue_up() {
  queue_down >/dev/null
  require_free_ports "$QUEUE_PORT"
  mkdir -p "$QUEUE_DIR"
  redis-server --port "$QUEUE_PORT" --bind 127.0.0.1 --maxmemory-policy noeviction \
    --appendonly yes --appendfsync everysec --save "" \
    --dir "$QUEUE_DIR" --daemonize yes --pidfile "$QUEUE_DIR/redis.pid" \
    --logfile "$QUEUE_DIR/redis.log"
  wait_for "$WAIT_LIMIT_S" "queue redis :$QUEUE_PORT to answer PING" rcli "$QUEUE_PORT" ping ||
    die "queue redis :$QUEUE_PORT did not start; see $QUEUE_DIR/redis.log"
  queue_settings_ok || die "queue redis :$QUEUE_PORT does not report noeviction and AOF on"
  log queue "ready: standalone redis on 127.0.0.1:$QUEUE_PORT (noeviction, appendonly yes)"
}

queue_settings_ok() {
  rcli "$QUEUE_PORT" config get maxmemory-policy | grep -qx noeviction &&
    rcli "$QUEUE_PORT" info persistence | grep -q '^aof_enabled:1'
}

queue_status() {
  local pid
  if ! pid=$(queue_pid); then
    echo "queue    :$QUEUE_PORT  down"
    return 1
  fi
  if queue_settings_ok 2>/dev/null; then
    echo "queue    :$QUEUE_PORT  pid $pid  standalone  noeviction  aof on  $(rcli "$QUEUE_PORT" dbsize 2>/dev/null) keys"
  else
    echo "queue    :$QUEUE_PORT  pid $pid  not answering, or not noeviction + AOF"
    return 1
  fi
}

# ------------------------------------------------------------------- main ---

main() {
  local cmd=${1:-} target=${2:-all} targets rc=0
  case $target in
    all) targets=(redis-cluster mariadb queue) ;;
    redis-cluster | mariadb | queue) targets=("$target") ;;
    *) usage ;;
  esac
  (($# <= 2)) || usage
  check_state_dir
  case $cmd in
    up)
      ensure_binaries "${targets[@]}"
      prepare_state_dir
      # The stacks are independent: start them side by side. Each runs in a
      # background subshell so that `set -e` stays in force inside it (it is
      # switched off in a subshell that is the left side of `||`).
      local t pids=()
      for t in "${targets[@]}"; do
        ("${t/-cluster/}_up") &
        pids+=($!)
      done
      for t in "${pids[@]}"; do wait "$t" || rc=1; done
      ((rc == 0)) || die "up failed (logs under $STATE_DIR); run 'scripts/backends.sh down' to clean up"
      log up "done in $(elapsed_s)s (state dir $STATE_DIR)"
      ;;
    down)
      local t pids=()
      for t in "${targets[@]}"; do
        ("${t/-cluster/}_down") &
        pids+=($!)
      done
      for t in "${pids[@]}"; do wait "$t" || rc=1; done
      ((rc == 0)) || die "down failed"
      if [[ $target == all ]]; then remove_state_path "$STATE_DIR"; fi
      ;;
    status)
      local t
      for t in "${targets[@]}"; do "${t/-cluster/}_status" || rc=1; done
      return $rc
      ;;
    *) usage ;;
  esac
}

main "$@"
