#!/usr/bin/env bash
# cluster.sh: the local replicated platform — three Kafka brokers and two ClickHouse replicas coordinated by
# ZooKeeper — for the cluster drills (`make test-cluster`, `make soak`) and for trying the services against a
# topology like production's. The single-node platform (scripts/platform.sh, `make up`) stays the default.
#
#   scripts/cluster.sh up                 install what is missing, start everything, wait, create the topics
#   scripts/cluster.sh down               stop everything (SIGTERM, SIGKILL after 30 s)
#   scripts/cluster.sh status             every component with pid and ports; exit 3 when one is not up
#   scripts/cluster.sh env                the environment for the services and tests: eval "$(scripts/cluster.sh env)"
#   scripts/cluster.sh topology           one line per component: name kind ports..., and the settings
#   scripts/cluster.sh start COMPONENT    start one component (kafka-1..3, zookeeper, clickhouse-1..2) and wait
#   scripts/cluster.sh kill COMPONENT [SIG]   send SIG (default KILL) to one component, for drills
#   scripts/cluster.sh logs COMPONENT [-f]    tail (or follow) a component's log
#
# Topology, all on 127.0.0.1 (CLUSTER_PORT_BASE, default 61000, shifts every port):
#   kafka-N       N=1..3  KRaft broker+controller; client port BASE+100+N, controller BASE+110+N
#   zookeeper             Debian's zookeeper package, client port BASE+181
#   clickhouse-N  N=1..2  replica rN of shard 01; tcp BASE+300+N, http BASE+320+N, interserver BASE+340+N
# Kafka runs from the same Maven jars as the single node (.local/kafka/libs); ClickHouse is the same Debian
# 18.16.1 binary. Topics have replication factor 3 and min.insync.replicas=2 (broker defaults, so the topics the
# services create get them too); every table is a Replicated*MergeTree (pkg/chstore rewrites the engines when
# CLICKHOUSE_CLUSTER=1, see `env`). State lives under $TENSION_LOCAL/cluster/<component>/.
#
# Environment: CLUSTER_PORT_BASE [61000]  KAFKA_PARTITIONS [6]  CLUSTER_KAFKA_HEAP_OPTS [-Xms256m -Xmx768m]
#   CLUSTER_ZK_HEAP_OPTS [-Xms64m -Xmx256m]  TENSION_LOCAL [<repo>/.local]
set -Eeuo pipefail

# platform.sh's helpers (install, render, start/wait/stop of one Kafka or ClickHouse server): sourcing it runs
# no command. Its single-node ports are irrelevant here but must be valid.
# shellcheck source=platform.sh
source "$(dirname "${BASH_SOURCE[0]}")/platform.sh"

CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-61000}
CLUSTER_KAFKA_HEAP_OPTS=${CLUSTER_KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}
CLUSTER_ZK_HEAP_OPTS=${CLUSTER_ZK_HEAP_OPTS:--Xms64m -Xmx256m}
[[ $CLUSTER_PORT_BASE =~ ^[0-9]+$ ]] && ((CLUSTER_PORT_BASE >= 1024 && CLUSTER_PORT_BASE <= 64000)) ||
  die "CLUSTER_PORT_BASE=$CLUSTER_PORT_BASE must be a number in [1024, 64000]"

CLUSTER_DIR=$TENSION_LOCAL/cluster
KAFKA_NODES=(1 2 3)
CH_REPLICAS=(1 2)
ZK_PORT=$((CLUSTER_PORT_BASE + 181))
ZK_DIR=$CLUSTER_DIR/zookeeper
ZK_CONFIG=$ZK_DIR/zoo.cfg
ZK_PID=$ZK_DIR/zookeeper.pid
ZK_LOG=$ZK_DIR/logs/zookeeper.log
ZK_JARS=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar
CLUSTER_TOPICS_MARKER=$CLUSTER_DIR/.tension-topics

kafka_port() { echo $((CLUSTER_PORT_BASE + 100 + $1)); }
kafka_controller_port() { echo $((CLUSTER_PORT_BASE + 110 + $1)); }
ch_tcp_port() { echo $((CLUSTER_PORT_BASE + 300 + $1)); }
ch_http_port() { echo $((CLUSTER_PORT_BASE + 320 + $1)); }
ch_interserver_port() { echo $((CLUSTER_PORT_BASE + 340 + $1)); }

brokers_list() {
  local i out=()
  for i in "${KAFKA_NODES[@]}"; do out+=("127.0.0.1:$(kafka_port "$i")"); done
  (IFS=,; echo "${out[*]}")
}

ch_addrs_list() {
  local i out=()
  for i in "${CH_REPLICAS[@]}"; do out+=("127.0.0.1:$(ch_tcp_port "$i")"); done
  (IFS=,; echo "${out[*]}")
}

# ---------------------------------------------------------------------------------------------------------
# Kafka: platform.sh's single-broker functions, pointed at one node at a time. Rendering and formatting differ
# (static three-voter quorum, one cluster id for all nodes), so those two are redefined here.

use_kafka_node() {
  NODE_ID=$1
  KAFKA_DIR=$CLUSTER_DIR/kafka-$1
  KAFKA_DATA=$KAFKA_DIR/data
  KAFKA_LOGS=$KAFKA_DIR/logs
  KAFKA_TMP=$KAFKA_DIR/tmp
  KAFKA_CONFIG=$KAFKA_DIR/server.properties
  KAFKA_PID=$KAFKA_DIR/kafka.pid
  KAFKA_PORT=$(kafka_port "$1")
  KAFKA_CONTROLLER_PORT=$(kafka_controller_port "$1")
  KAFKA_HEAP_OPTS=$CLUSTER_KAFKA_HEAP_OPTS
  mkdir -p "$KAFKA_DATA" "$KAFKA_LOGS" "$KAFKA_TMP"
}

kafka_render_config() {
  local i voters=()
  for i in "${KAFKA_NODES[@]}"; do voters+=("$i@127.0.0.1:$(kafka_controller_port "$i")"); done
  render "$PLATFORM_DIR/cluster/kafka.properties.tmpl" "$KAFKA_CONFIG" \
    "NODE_ID=$NODE_ID" "VOTERS=$(IFS=,; echo "${voters[*]}")" \
    "KAFKA_PORT=$KAFKA_PORT" "KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT" \
    "KAFKA_PARTITIONS=$KAFKA_PARTITIONS" "KAFKA_DATA_DIR=$KAFKA_DATA"
}

kafka_cluster_id() {
  local id=-
  if [[ -s $CLUSTER_DIR/kafka.cluster.id ]]; then
    cat "$CLUSTER_DIR/kafka.cluster.id"
    return
  fi
  while [[ $id == -* ]]; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  done
  echo "$id" | tee "$CLUSTER_DIR/kafka.cluster.id"
}

kafka_format() {
  [[ -f $KAFKA_DATA/meta.properties ]] && return 0
  local id
  id=$(kafka_cluster_id)
  log "formatting kafka-$NODE_ID storage in $KAFKA_DATA (cluster id $id)"
  if ! java "${JAVA_TOOL_FLAGS[@]}" -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$KAFKA_LOGS" \
    -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$id" -c "$KAFKA_CONFIG" \
    >"$KAFKA_LOGS/format.log" 2>&1; then
    tail_log "kafka-$NODE_ID format" "$KAFKA_LOGS/format.log"
    die "formatting kafka-$NODE_ID storage failed; log: $KAFKA_LOGS/format.log"
  fi
}

# ---------------------------------------------------------------------------------------------------------
# ClickHouse replicas: platform.sh's single-server functions with a per-replica directory, ports and a
# config.d/replication.xml (ZooKeeper, macros, interserver port).

use_ch_replica() {
  CH_INDEX=$1
  CH_DIR=$CLUSTER_DIR/clickhouse-$1
  CH_CONFIG=$CH_DIR/config.xml
  CH_PID=$CH_DIR/clickhouse.pid
  CH_LOG=$CH_DIR/logs/clickhouse-server.log
  CH_ERRLOG=$CH_DIR/logs/clickhouse-server.err.log
  CLICKHOUSE_TCP_PORT=$(ch_tcp_port "$1")
  CLICKHOUSE_HTTP_PORT=$(ch_http_port "$1")
  mkdir -p "$CH_DIR/data" "$CH_DIR/logs" "$CH_DIR/tmp" "$CH_DIR/config.d"
}

ch_render_replication() {
  local i replicas=''
  for i in "${CH_REPLICAS[@]}"; do
    replicas+="                <replica><host>127.0.0.1</host><port>$(ch_tcp_port "$i")</port></replica>"$'\n'
  done
  render "$PLATFORM_DIR/cluster/clickhouse-replica.xml.tmpl" "$CH_DIR/config.d/replication.xml" \
    "CH_INTERSERVER_PORT=$(ch_interserver_port "$CH_INDEX")" "ZK_PORT=$ZK_PORT" "CH_REPLICA=r$CH_INDEX" \
    "CH_REPLICAS_XML=${replicas%$'\n'}"
}

# ---------------------------------------------------------------------------------------------------------
# ZooKeeper

zk_pid() { pid_of "$ZK_PID" "$ZK_CONFIG" 'org\.apache\.zookeeper\.server\.quorum\.QuorumPeerMain'; }

# zk_answers: the four-letter word `ruok` is answered with `imok`.
# zk_answers: ZooKeeper serves sessions. `ruok` answers imok as soon as the process listens, before it has
# loaded its data and takes sessions; a ClickHouse replica started then fails its handshake and, holding
# replicated tables, exits. `srvr` names the server's mode only once it serves.
zk_answers() {
  local reply
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  reply=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1; printf srvr >&3; cat <&3' _ "$ZK_PORT" 2>/dev/null) ||
    return 1
  [[ $reply == *"Mode: "* ]]
}

install_zookeeper() {
  [[ -f /usr/share/java/zookeeper.jar && -f /usr/share/java/slf4j-simple.jar ]] && return 0
  apt_install zookeeper libslf4j-java
  [[ -f /usr/share/java/zookeeper.jar ]] || die "zookeeper.jar is still missing after apt-get install zookeeper"
}

zk_start() {
  local pid
  if pid=$(zk_pid); then
    log "ZooKeeper already running (pid $pid)"
    return 0
  fi
  mkdir -p "$ZK_DIR/data" "$ZK_DIR/logs"
  render "$PLATFORM_DIR/cluster/zoo.cfg.tmpl" "$ZK_CONFIG" "ZK_DATA_DIR=$ZK_DIR/data" "ZK_PORT=$ZK_PORT"
  mark_logs "$ZK_LOG"
  log "starting ZooKeeper on 127.0.0.1:$ZK_PORT"
  local -a heap
  read -r -a heap <<<"$CLUSTER_ZK_HEAP_OPTS"
  (
    cd "$ZK_DIR"
    exec setsid nohup java "${heap[@]}" -XX:+UseSerialGC -Djava.io.tmpdir="$ZK_DIR/data" \
      -Dorg.slf4j.simpleLogger.showDateTime=true -Dzookeeper.admin.enableServer=false \
      -cp "$ZK_JARS" org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZK_CONFIG" >>"$ZK_LOG" 2>&1 </dev/null
  ) &
  echo $! >"$ZK_PID"
}

zk_wait() {
  local deadline=$((SECONDS + 60))
  until zk_answers; do
    zk_pid >/dev/null || { tail_log ZooKeeper "$ZK_LOG"; die "ZooKeeper exited during start-up; log: $ZK_LOG"; }
    ((SECONDS < deadline)) || { tail_log ZooKeeper "$ZK_LOG"; die "ZooKeeper did not answer on :$ZK_PORT within 60s"; }
    sleep 0.3
  done
  log "ZooKeeper answers on 127.0.0.1:$ZK_PORT"
}

# ---------------------------------------------------------------------------------------------------------
# components

# component_do ACTION NAME: run ACTION (start, wait, pid, stop) for one component.
component_do() {
  local action=$1 name=$2 pid
  case $name in
    kafka-[1-3]) use_kafka_node "${name#kafka-}" ;;
    clickhouse-[1-2]) use_ch_replica "${name#clickhouse-}" ;;
    zookeeper) ;;
    *) die "unknown component $name (kafka-1..3, zookeeper, clickhouse-1..2)" ;;
  esac
  case $action:$name in
    start:kafka-*) kafka_start ;;
    wait:kafka-*) kafka_wait ;;
    pid:kafka-*) kafka_pid ;;
    answers:kafka-*) kafka_answers ;;
    start:clickhouse-*)
      ch_render_replication
      ch_start
      ;;
    wait:clickhouse-*) ch_wait ;;
    pid:clickhouse-*) ch_pid ;;
    answers:clickhouse-*) ch_answers ;;
    start:zookeeper) zk_start ;;
    wait:zookeeper) zk_wait ;;
    pid:zookeeper) zk_pid ;;
    answers:zookeeper) zk_answers ;;
    stop:*)
      if pid=$(component_do pid "$name"); then
        stop_pid "$name" "$pid"
      fi
      ;;
    *) die "component_do: unknown action $action" ;;
  esac
}

COMPONENTS=(zookeeper clickhouse-1 clickhouse-2 kafka-1 kafka-2 kafka-3)

check_ports() {
  local name port ports
  for name in "${COMPONENTS[@]}"; do
    component_do pid "$name" >/dev/null && continue
    case $name in
      kafka-*) ports="$(kafka_port "${name#kafka-}") $(kafka_controller_port "${name#kafka-}")" ;;
      clickhouse-*) ports="$(ch_tcp_port "${name#clickhouse-}") $(ch_http_port "${name#clickhouse-}") $(ch_interserver_port "${name#clickhouse-}")" ;;
      zookeeper) ports=$ZK_PORT ;;
    esac
    for port in $ports; do
      port_open "$port" && die "port $port ($name) is taken by another process; stop it or set CLUSTER_PORT_BASE"
    done
  done
  return 0
}

# The topics from the one table in pkg/kafkax (`sink topics ensure`, as platform.sh), replicated: RF 3 and
# min.insync.replicas 2, so with acks=all a write survives one broker down and is refused, not lost, with two.
CLUSTER_REPLICATION_FACTOR=3
CLUSTER_MIN_INSYNC_REPLICAS=2

cluster_topics() {
  local specs
  use_kafka_node 1
  KAFKA_REPLICATION_FACTOR=$CLUSTER_REPLICATION_FACTOR
  KAFKA_MIN_INSYNC_REPLICAS=$CLUSTER_MIN_INSYNC_REPLICAS
  if [[ -f $CLUSTER_TOPICS_MARKER && $(head -n 1 "$CLUSTER_TOPICS_MARKER") == "$(topics_key)" ]]; then
    return 0
  fi
  install_topics_tool
  specs=$(topics_tool specs) || die "sink topics specs failed"
  log "ensuring topics (replication factor 3, min.insync.replicas 2): $(cut -d' ' -f1 <<<"$specs" | tr '\n' ' ')"
  # Every broker as a bootstrap address: kafka-1 alone may still be electing.
  KAFKA_BROKERS=$(brokers_list) KAFKA_PARTITIONS=$KAFKA_PARTITIONS \
    KAFKA_REPLICATION_FACTOR=$KAFKA_REPLICATION_FACTOR KAFKA_MIN_INSYNC_REPLICAS=$KAFKA_MIN_INSYNC_REPLICAS \
    TOPIC_RAW='' TOPIC_ENRICHED='' TOPIC_DLQ='' TOPIC_INDEX='' "$TOPICS_TOOL" topics ensure -wait "${KAFKA_START_TIMEOUT}s" ||
    die "creating topics failed; broker log: $CLUSTER_DIR/kafka-1/logs/server.log"
  { topics_key; printf '%s\n' "$specs"; } >"$CLUSTER_TOPICS_MARKER"
}

cmd_cluster_up() {
  local start=$SECONDS name
  mkdir -p "$CLUSTER_DIR"
  check_ports
  cmd_install
  install_zookeeper
  # The JVMs warm up in parallel; ClickHouse starts once ZooKeeper answers: an 18.16 server that holds
  # replicated tables (a cluster started before) exits when it cannot reach ZooKeeper at start-up.
  for name in zookeeper kafka-1 kafka-2 kafka-3; do component_do start "$name"; done
  component_do wait zookeeper
  for name in clickhouse-1 clickhouse-2; do component_do start "$name"; done
  for name in "${COMPONENTS[@]}"; do component_do wait "$name"; done
  cluster_topics
  log "cluster up in $((SECONDS - start))s"
  cmd_cluster_topology
}

cmd_cluster_down() {
  local name
  # Kafka first (its clients are gone), ClickHouse before ZooKeeper (a replica without ZooKeeper retries).
  for name in kafka-1 kafka-2 kafka-3 clickhouse-1 clickhouse-2 zookeeper; do
    if component_do pid "$name" >/dev/null; then
      component_do stop "$name"
    else
      log "$name is not running"
    fi
  done
}

cmd_cluster_status() {
  local name pid state rc=0
  for name in "${COMPONENTS[@]}"; do
    if pid=$(component_do pid "$name"); then
      if component_do answers "$name"; then state=up; else state=starting; rc=3; fi
    else
      pid=- state=down rc=3
    fi
    printf '%-13s %-9s pid %s\n' "$name" "$state" "$pid"
  done
  echo "State         $CLUSTER_DIR"
  return "$rc"
}

# The topology as lines a test can parse: `<component> <kind> <key>=<value>...`, then `setting <key>=<value>`.
cmd_cluster_topology() {
  local i
  for i in "${KAFKA_NODES[@]}"; do
    echo "kafka-$i kafka node_id=$i roles=broker,controller port=$(kafka_port "$i") controller_port=$(kafka_controller_port "$i")"
  done
  echo "zookeeper zookeeper port=$ZK_PORT"
  for i in "${CH_REPLICAS[@]}"; do
    echo "clickhouse-$i clickhouse shard=01 replica=r$i tcp=$(ch_tcp_port "$i") http=$(ch_http_port "$i") interserver=$(ch_interserver_port "$i")"
  done
  echo "setting kafka.default.replication.factor=$(grep -oP '^default\.replication\.factor=\K.*' "$PLATFORM_DIR/cluster/kafka.properties.tmpl")"
  echo "setting kafka.min.insync.replicas=$(grep -oP '^min\.insync\.replicas=\K.*' "$PLATFORM_DIR/cluster/kafka.properties.tmpl")"
  echo "setting kafka.partitions=$KAFKA_PARTITIONS"
  echo "setting clickhouse.replicated_deduplication_window=$(grep -oP '<replicated_deduplication_window>\K[0-9]+' "$PLATFORM_DIR/cluster/clickhouse-replica.xml.tmpl")"
}

cmd_cluster_env() {
  cmd_env | grep -v -e ^export.KAFKA_BROKERS= -e ^export.CLICKHOUSE_ADDR= # the users and password files: shared
  cat <<EOF
export KAFKA_BROKERS=$(brokers_list)
export CLICKHOUSE_ADDR=$(ch_addrs_list)
export CLICKHOUSE_CLUSTER=tension
export KAFKA_PARTITIONS=$KAFKA_PARTITIONS
export KAFKA_REPLICATION_FACTOR=$CLUSTER_REPLICATION_FACTOR
export KAFKA_MIN_INSYNC_REPLICAS=$CLUSTER_MIN_INSYNC_REPLICAS
export TENSION_CLUSTER_SCRIPT=$REPO_ROOT/scripts/cluster.sh
EOF
}

cmd_cluster_kill() {
  local name=${1:?kill COMPONENT [SIGNAL]} sig=${2:-KILL} pid
  pid=$(component_do pid "$name") || die "$name is not running"
  log "kill -$sig $name (pid $pid)"
  kill -s "$sig" "$pid"
}

cmd_cluster_start() {
  local name=${1:?start COMPONENT}
  component_do start "$name"
  component_do wait "$name"
}

cmd_cluster_logs() {
  local name=${1:?logs COMPONENT [-f]} file
  case $name in
    kafka-[1-3]) file=$CLUSTER_DIR/$name/logs/server.log ;;
    clickhouse-[1-2]) file=$CLUSTER_DIR/$name/logs/clickhouse-server.log ;;
    zookeeper) file=$ZK_LOG ;;
    *) die "unknown component $name" ;;
  esac
  [[ -f $file ]] || die "no log yet: $file"
  if [[ ${2:-} == -f ]]; then exec tail -n 50 -F "$file"; fi
  tail -n 50 "$file"
}

cluster_main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case $cmd in
    up) cmd_cluster_up ;;
    down) cmd_cluster_down ;;
    status) cmd_cluster_status || exit $? ;; # exit 3 when a component is down: an answer, not an error
    env) cmd_cluster_env ;;
    topology) cmd_cluster_topology ;;
    start) cmd_cluster_start "$@" ;;
    kill) cmd_cluster_kill "$@" ;;
    logs) cmd_cluster_logs "$@" ;;
    -h | --help | help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
    *)
      sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
}

cluster_main "$@"
