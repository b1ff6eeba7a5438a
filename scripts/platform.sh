#!/usr/bin/env bash
# platform.sh: the local Kafka + ClickHouse that the Tension services, tests and benchmarks run against,
# on machines without Docker (users with Docker can use docker-compose.yml instead).
#
#   scripts/platform.sh install   resolve Kafka jars from Maven Central, apt-get install ClickHouse (idempotent)
#   scripts/platform.sh up        install if needed, start both, wait until both answer, create the topics
#                                 (`sink topics ensure`, built from this checkout: the topic table is pkg/kafkax)
#   scripts/platform.sh down      stop both (SIGTERM, SIGKILL after 30 s); fine when nothing runs
#   scripts/platform.sh status    processes, ports, log files; exit 3 when something is not up
#   scripts/platform.sh topics    list the Kafka topics with partitions, replication and cleanup policy
#   scripts/platform.sh env       print the exports that point services and tests at this platform
#                                 (addresses, ClickHouse users and password files): eval "$(scripts/platform.sh env)"
#   scripts/platform.sh logs [kafka|clickhouse] [-f]   tail (or follow) the server logs
#
# Kafka 4.x (KRaft, broker+controller in one JVM) runs from jars resolved by platform/kafka/pom.xml;
# ClickHouse is Debian's clickhouse-server 18.16.1 run as a plain process from a project-local config,
# never the system service. Everything lives under $TENSION_LOCAL (default: <repo>/.local, git-ignored):
#
#   tools/sink               `sink topics` (go build of services/sink), which creates the topics
#   kafka/libs/              jars (+ .pom.sha256 marker: a second `up` does not call Maven)
#   kafka/data/              log.dirs and metadata log (formatted once)
#   kafka/logs/              server.log, controller.log, state-change.log, log-cleaner.log, kafka.out, gc.log
#   kafka/server.properties  rendered from platform/kafka/server.properties.tmpl
#   kafka/kafka.pid
#   clickhouse/{data,logs,tmp}/, clickhouse/config.xml, users.xml, clickhouse.pid
#   clickhouse/secrets/      generated once, mode 0600: tension.password (the writer user: sink, backfill,
#                            tests), tension_query.password (the query service's read-only user), client.xml
#                            (clickhouse-client --config-file=... logs in as tension)
#
# Environment (defaults in brackets):
#   KAFKA_PORT [9092]  KAFKA_CONTROLLER_PORT [9093]  KAFKA_PARTITIONS [6]  KAFKA_HEAP_OPTS [-Xms1g -Xmx1g]
#   KAFKA_REPLICATION_FACTOR [1]  KAFKA_MIN_INSYNC_REPLICAS [0 = the broker's default] (of the topics created)
#   CLICKHOUSE_TCP_PORT [9000]  CLICKHOUSE_HTTP_PORT [8123]  TENSION_LOCAL [<repo>/.local]
#   KAFKA_START_TIMEOUT [90]  CLICKHOUSE_START_TIMEOUT [60]  STOP_TIMEOUT [30]  (seconds)
set -Eeuo pipefail
# No silent exits: name the command that failed where no explicit message was written.
trap 'printf "platform: error: command failed (exit %s) at %s line %s: %s\n" "$?" "${BASH_SOURCE[0]##*/}" "$LINENO" "$BASH_COMMAND" >&2' ERR

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PLATFORM_DIR=$REPO_ROOT/platform

KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_PARTITIONS=${KAFKA_PARTITIONS:-6}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms1g -Xmx1g}
CLICKHOUSE_TCP_PORT=${CLICKHOUSE_TCP_PORT:-9000}
CLICKHOUSE_HTTP_PORT=${CLICKHOUSE_HTTP_PORT:-8123}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
CLICKHOUSE_START_TIMEOUT=${CLICKHOUSE_START_TIMEOUT:-60}
STOP_TIMEOUT=${STOP_TIMEOUT:-30}

TENSION_LOCAL=${TENSION_LOCAL:-$REPO_ROOT/.local}
mkdir -p "$TENSION_LOCAL"
TENSION_LOCAL=$(cd "$TENSION_LOCAL" && pwd)

KAFKA_DIR=$TENSION_LOCAL/kafka
KAFKA_LIBS=$KAFKA_DIR/libs
KAFKA_DATA=$KAFKA_DIR/data
KAFKA_LOGS=$KAFKA_DIR/logs
KAFKA_TMP=$KAFKA_DIR/tmp
KAFKA_CONFIG=$KAFKA_DIR/server.properties
KAFKA_PID=$KAFKA_DIR/kafka.pid
KAFKA_POM=$PLATFORM_DIR/kafka/pom.xml
KAFKA_LOG4J=$PLATFORM_DIR/kafka/log4j2.properties

CH_DIR=$TENSION_LOCAL/clickhouse
CH_CONFIG=$CH_DIR/config.xml
CH_PID=$CH_DIR/clickhouse.pid
CH_LOG=$CH_DIR/logs/clickhouse-server.log
CH_ERRLOG=$CH_DIR/logs/clickhouse-server.err.log
CH_SECRETS=$CH_DIR/secrets
CH_USER=tension
CH_QUERY_USER=tension_query
CH_PASSWORD_FILE=$CH_SECRETS/tension.password
CH_QUERY_PASSWORD_FILE=$CH_SECRETS/tension_query.password
CH_CLIENT_CONFIG=$CH_SECRETS/client.xml

# Topics: the one table in Go (pkg/kafkax, TopicSettings), created by `sink topics ensure`, the same code the
# services run at start. The tool is built from this checkout into $TENSION_LOCAL/tools (Go's build cache makes
# a rebuild of unchanged sources quick).
KAFKA_REPLICATION_FACTOR=${KAFKA_REPLICATION_FACTOR:-1}
KAFKA_MIN_INSYNC_REPLICAS=${KAFKA_MIN_INSYNC_REPLICAS:-0}
TOPICS_TOOL=$TENSION_LOCAL/tools/sink
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} # the approved Go; see README
TOPICS_MARKER=$KAFKA_DATA/.tension-topics

# The JVM is slow to start on two cores; short-lived tools need neither C2 nor a parallel GC.
JAVA_TOOL_FLAGS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Djava.io.tmpdir="$KAFKA_TMP")

log() { printf '%s platform: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'platform: error: %s\n' "$*" >&2; exit 1; }

is_port() { [[ $1 =~ ^[0-9]+$ ]] && (($1 > 0 && $1 < 65536)); }
for var in KAFKA_PORT KAFKA_CONTROLLER_PORT CLICKHOUSE_TCP_PORT CLICKHOUSE_HTTP_PORT; do
  is_port "${!var}" || die "$var=${!var} is not a TCP port"
done
[[ $KAFKA_PARTITIONS =~ ^[1-9][0-9]*$ ]] || die "KAFKA_PARTITIONS=$KAFKA_PARTITIONS is not a positive integer"
[[ $KAFKA_REPLICATION_FACTOR =~ ^[1-9][0-9]*$ ]] || die "KAFKA_REPLICATION_FACTOR=$KAFKA_REPLICATION_FACTOR is not a positive integer"
[[ $KAFKA_MIN_INSYNC_REPLICAS =~ ^[0-9]+$ ]] || die "KAFKA_MIN_INSYNC_REPLICAS=$KAFKA_MIN_INSYNC_REPLICAS is not an integer"

# ---------------------------------------------------------------------------------------------------------
# helpers

# render TEMPLATE OUT KEY=VALUE...: replace every @KEY@ in TEMPLATE (pure bash: values may hold any char).
render() {
  local template=$1 out=$2 content kv
  shift 2
  content=$(<"$template")
  for kv in "$@"; do
    content=${content//"@${kv%%=*}@"/"${kv#*=}"}
  done
  if [[ $content =~ @[A-Z_]+@ ]]; then
    die "render $template: unreplaced token ${BASH_REMATCH[0]}"
  fi
  printf '%s\n' "$content" >"$out.tmp"
  mv "$out.tmp" "$out"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# pid_of PIDFILE NEEDLE [MAIN_REGEX]: print the pid recorded in PIDFILE when that process is alive and its command line
# contains NEEDLE (our config path, so a recycled pid or another instance is never mistaken for ours).
# Falls back to searching /proc for NEEDLE, for a server whose pid file was lost.
pid_of() {
  local pidfile=$1 needle=$2 main=${3:-'kafka\.Kafka|.*clickhouse-server'} pid file
  if [[ -s $pidfile ]]; then
    pid=$(<"$pidfile")
    if [[ $pid =~ ^[0-9]+$ ]] && grep -qaF -- "$needle" "/proc/$pid/cmdline" 2>/dev/null; then
      echo "$pid"
      return 0
    fi
  fi
  # Only the servers themselves: their command lines also name the main class or the binary (MAIN_REGEX).
  while IFS= read -r file; do
    pid=${file#/proc/}
    pid=${pid%/cmdline}
    if [[ $pid != "$$" ]] && tr '\0' '\n' <"$file" 2>/dev/null | grep -qxE "$main"; then
      echo "$pid" | tee "$pidfile"
      return 0
    fi
  done < <(grep -slaF -- "$needle" /proc/[0-9]*/cmdline 2>/dev/null || true)
  return 1
}

kafka_pid() { pid_of "$KAFKA_PID" "$KAFKA_CONFIG"; }
ch_pid() { pid_of "$CH_PID" "$CH_CONFIG"; }

# kafka_answers: the broker answers a Kafka request on its client port. Sends ApiVersions v0 (api key 18,
# correlation id "TENS") over bash's /dev/tcp and checks the response header, which costs milliseconds
# where any JVM tool would cost seconds. The broker opens this listener only once it has caught up with the
# metadata log, so an answer means clients can produce and consume.
kafka_answers() {
  local reply
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  reply=$(timeout 2 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x00\x00\x00\x0f\x00\x12\x00\x00TENS\x00\x05probe" >&3
    head -c 8 <&3 | od -An -tx1' _ "$KAFKA_PORT" 2>/dev/null) || return 1
  reply=${reply//[[:space:]]/}
  [[ ${#reply} -eq 16 && ${reply:8} == 54454e53 ]]
}

# ch_answers: the server answers a query as the writer user (so its users.xml is the current one).
ch_answers() {
  [[ -f $CH_CLIENT_CONFIG ]] &&
    [[ $(clickhouse-client --config-file="$CH_CLIENT_CONFIG" --host 127.0.0.1 --port "$CLICKHOUSE_TCP_PORT" \
      -q 'SELECT 1' 2>/dev/null) == 1 ]]
}

# ch_alive: the server answers GET /ping on its HTTP port (no login needed): for `status`, which must not
# depend on the users file being current.
ch_alive() {
  local reply
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  reply=$(timeout 2 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET /ping HTTP/1.0\r\n\r\n" >&3
    cat <&3' _ "$CLICKHOUSE_HTTP_PORT" 2>/dev/null) || return 1
  [[ $reply == *"Ok."* ]]
}

# ch_secret FILE: a random 32-character password, made once, readable by this user only.
ch_secret() {
  local file=$1
  (
    umask 077
    mkdir -p "$CH_SECRETS"
    if [[ ! -s $file ]]; then
      head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$file.tmp"
      echo >>"$file.tmp"
      mv "$file.tmp" "$file"
    fi
  )
  chmod 700 "$CH_SECRETS"
  chmod 600 "$file"
}

# ch_render_users: the users file with the hashes of the generated passwords, and the client config. Run at
# every `up`: a running server re-reads users.xml within seconds, so an older password-less setup is replaced.
ch_render_users() {
  local h1 h2
  ch_secret "$CH_PASSWORD_FILE"
  ch_secret "$CH_QUERY_PASSWORD_FILE"
  h1=$(head -n1 "$CH_PASSWORD_FILE" | tr -d '\n' | sha256sum | cut -d' ' -f1)
  h2=$(head -n1 "$CH_QUERY_PASSWORD_FILE" | tr -d '\n' | sha256sum | cut -d' ' -f1)
  render "$PLATFORM_DIR/clickhouse/users.xml.tmpl" "$CH_DIR/users.xml" \
    "TENSION_PASSWORD_SHA256=$h1" "TENSION_QUERY_PASSWORD_SHA256=$h2"
  chmod 600 "$CH_DIR/users.xml"
  (
    umask 077
    printf '<config>\n  <user>%s</user>\n  <password>%s</password>\n</config>\n' \
      "$CH_USER" "$(head -n1 "$CH_PASSWORD_FILE")" >"$CH_CLIENT_CONFIG.tmp"
    mv "$CH_CLIENT_CONFIG.tmp" "$CH_CLIENT_CONFIG"
  )
}

# ch_wait_login SECONDS: wait until the writer user can log in (a running server picks up a new users.xml
# within a few seconds).
ch_wait_login() {
  local deadline=$((SECONDS + $1))
  until ch_answers; do
    ((SECONDS < deadline)) || return 1
    sleep 0.3
  done
}

# Failure reports show only what the current start wrote: mark_logs remembers each log's size before a
# start, tail_log prints the last 40 lines written after that mark (all of it if the file was rotated).
declare -A LOG_MARK=()
mark_logs() {
  local file
  for file in "$@"; do
    LOG_MARK[$file]=0
    if [[ -f $file ]]; then
      LOG_MARK[$file]=$(stat -c %s "$file")
    fi
  done
}

tail_log() {
  local name=$1 file from
  shift
  for file in "$@"; do
    [[ -s $file ]] || continue
    from=${LOG_MARK[$file]:-0}
    (($(stat -c %s "$file") >= from)) || from=0
    (($(stat -c %s "$file") > from)) || continue
    printf '\n----- %s: last 40 lines of %s -----\n' "$name" "$file" >&2
    tail -c +"$((from + 1))" "$file" | tail -n 40 >&2
  done
  printf -- '-----\n' >&2
}

# stop_pid NAME PID: SIGTERM, wait up to STOP_TIMEOUT seconds, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 start=${EPOCHREALTIME/[.,]/} deadline=$((SECONDS + STOP_TIMEOUT)) took
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "$name did not stop within ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
  done
  took=$(((${EPOCHREALTIME/[.,]/} - start) / 100000))
  log "$name stopped after $((took / 10)).$((took % 10))s"
}

need_root_for() {
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "$1 needs root (or sudo)"
    echo sudo
  fi
}

apt_lists_empty() {
  ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null
}

# apt_install PKG...: install Debian packages without starting any service they ship. When no policy-rc.d
# exists, a temporary one (exit 101 = "action forbidden") keeps invoke-rc.d from starting e.g. the system
# clickhouse-server on port 9000, which would collide with ours.
apt_install() {
  local sudo policy=/usr/sbin/policy-rc.d own_policy=0 rc=0
  sudo=$(need_root_for "apt-get install $*")
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | ${sudo:+$sudo} tee "$policy" >/dev/null
    ${sudo:+$sudo} chmod 755 "$policy"
    own_policy=1
  fi
  if apt_lists_empty; then
    log "apt package lists are empty: apt-get update"
    ${sudo:+$sudo} apt-get update -q || rc=$?
  fi
  if ((rc == 0)); then
    log "apt-get install $*"
    if ! ${sudo:+$sudo} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"; then
      log "apt-get install failed; refreshing the package lists and trying again"
      ${sudo:+$sudo} apt-get update -q &&
        ${sudo:+$sudo} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" || rc=$?
    fi
  fi
  if ((own_policy)); then
    ${sudo:+$sudo} rm -f "$policy"
  fi
  ((rc == 0)) || die "apt-get install $* failed (exit $rc); see the apt output above"
}

# ---------------------------------------------------------------------------------------------------------
# install

install_clickhouse() {
  if command -v clickhouse-server >/dev/null && command -v clickhouse-client >/dev/null; then
    return 0
  fi
  PATH=$PATH:/usr/sbin
  if command -v clickhouse-server >/dev/null && command -v clickhouse-client >/dev/null; then
    return 0
  fi
  apt_install clickhouse-server clickhouse-client
  # The package enables its system service; this project runs its own server from .local, so keep the
  # system one from taking port 9000 at the next boot.
  local sudo
  sudo=$(need_root_for "disabling the clickhouse-server system service")
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    ${sudo:+$sudo} systemctl disable --now clickhouse-server >/dev/null 2>&1 || true
  elif command -v update-rc.d >/dev/null; then
    ${sudo:+$sudo} update-rc.d clickhouse-server disable >/dev/null 2>&1 || true
  fi
  command -v clickhouse-server >/dev/null || die "clickhouse-server is still not on PATH after apt-get install"
}

install_java() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
  command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null || missing+=(maven)
  if ((${#missing[@]})); then
    # shellcheck disable=SC2046 # word splitting of the de-duplicated list is intended
    apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
  fi
}

# Kafka jars: resolved once per pom content. The marker holds the pom's hash, so editing the pom (a new
# Kafka version) resolves again, and an unchanged pom costs one sha256sum.
install_kafka() {
  local want have=''
  want=$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)
  [[ -f $KAFKA_LIBS/.pom.sha256 ]] && have=$(<"$KAFKA_LIBS/.pom.sha256")
  if [[ $want == "$have" ]] && compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  log "resolving Kafka jars with Maven (platform/kafka/pom.xml) into $KAFKA_LIBS"
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  if ! mvn -B -q -f "$KAFKA_POM" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS" \
    >"$KAFKA_DIR/mvn.log" 2>&1; then
    tail_log maven "$KAFKA_DIR/mvn.log"
    die "Maven could not resolve the Kafka jars (full output: $KAFKA_DIR/mvn.log)"
  fi
  echo "$want" >"$KAFKA_LIBS/.pom.sha256"
  log "Kafka jars ready: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars"
}

# The topics tool: `sink topics` from this checkout (see TOPICS_TOOL).
install_topics_tool() {
  command -v go >/dev/null || die "go is not on PATH: the topics are created by \`sink topics\` (services/sink)"
  mkdir -p "$(dirname "$TOPICS_TOOL")"
  if ! (cd "$REPO_ROOT/services/sink" && go build -o "$TOPICS_TOOL" .) >"$TENSION_LOCAL/tools-build.log" 2>&1; then
    tail_log "go build" "$TENSION_LOCAL/tools-build.log"
    die "could not build services/sink for the topics (log: $TENSION_LOCAL/tools-build.log)"
  fi
}

cmd_install() {
  mkdir -p "$KAFKA_LIBS" "$KAFKA_DATA" "$KAFKA_LOGS" "$KAFKA_TMP" \
    "$CH_DIR/data" "$CH_DIR/logs" "$CH_DIR/tmp"
  install_clickhouse
  install_java
  install_kafka
}

# ---------------------------------------------------------------------------------------------------------
# ClickHouse

# Before anything starts: a port held by some other process is reported, not discovered in a server log.
ch_check_ports() {
  local port
  ch_pid >/dev/null && return 0
  for port in "$CLICKHOUSE_TCP_PORT" "$CLICKHOUSE_HTTP_PORT"; do
    if port_open "$port"; then
      die "port $port is taken by another process (not our ClickHouse); stop it or set CLICKHOUSE_TCP_PORT/CLICKHOUSE_HTTP_PORT"
    fi
  done
}

ch_start() {
  local pid
  if pid=$(ch_pid); then
    log "ClickHouse already running (pid $pid)"
    return 0
  fi
  render "$PLATFORM_DIR/clickhouse/config.xml.tmpl" "$CH_CONFIG" \
    "CH_DIR=$CH_DIR" "CLICKHOUSE_TCP_PORT=$CLICKHOUSE_TCP_PORT" "CLICKHOUSE_HTTP_PORT=$CLICKHOUSE_HTTP_PORT"
  ch_render_users
  mark_logs "$CH_LOG" "$CH_ERRLOG"
  log "starting ClickHouse on 127.0.0.1:$CLICKHOUSE_TCP_PORT (http :$CLICKHOUSE_HTTP_PORT)"
  (
    cd "$CH_DIR"
    exec setsid nohup clickhouse-server --config-file="$CH_CONFIG" >"$CH_DIR/logs/stdout.log" 2>&1 </dev/null
  ) &
  echo $! >"$CH_PID"
}

ch_wait() {
  local pid deadline=$((SECONDS + CLICKHOUSE_START_TIMEOUT))
  until ch_answers; do
    if ! pid=$(ch_pid); then
      tail_log ClickHouse "$CH_DIR/logs/stdout.log" "$CH_ERRLOG" "$CH_LOG"
      die "ClickHouse exited during start-up; logs: $CH_LOG, $CH_ERRLOG, $CH_DIR/logs/stdout.log"
    fi
    if ((SECONDS >= deadline)); then
      tail_log ClickHouse "$CH_DIR/logs/stdout.log" "$CH_ERRLOG" "$CH_LOG"
      die "ClickHouse (pid $pid) did not answer on 127.0.0.1:$CLICKHOUSE_TCP_PORT within ${CLICKHOUSE_START_TIMEOUT}s; logs: $CH_LOG, $CH_ERRLOG"
    fi
    sleep 0.3
  done
  log "ClickHouse answers on 127.0.0.1:$CLICKHOUSE_TCP_PORT"
}

# ---------------------------------------------------------------------------------------------------------
# Kafka

kafka_render_config() {
  render "$PLATFORM_DIR/kafka/server.properties.tmpl" "$KAFKA_CONFIG" \
    "KAFKA_PORT=$KAFKA_PORT" "KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT" \
    "KAFKA_PARTITIONS=$KAFKA_PARTITIONS" "KAFKA_DATA_DIR=$KAFKA_DATA"
}

# A KRaft cluster id is 16 random bytes in unpadded URL-safe base64 (what `StorageTool random-uuid` prints,
# without a JVM start). Kafka never hands out ids starting with '-', so neither do we.
kafka_cluster_id() {
  local id
  if [[ -s $KAFKA_DIR/cluster.id ]]; then
    cat "$KAFKA_DIR/cluster.id"
    return
  fi
  id=-
  while [[ $id == -* ]]; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  done
  echo "$id" | tee "$KAFKA_DIR/cluster.id"
}

kafka_format() {
  [[ -f $KAFKA_DATA/meta.properties ]] && return 0
  local id
  id=$(kafka_cluster_id)
  log "formatting Kafka storage in $KAFKA_DATA (cluster id $id)"
  if ! java "${JAVA_TOOL_FLAGS[@]}" -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$KAFKA_LOGS" \
    -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$id" -c "$KAFKA_CONFIG" --standalone \
    >"$KAFKA_LOGS/format.log" 2>&1; then
    tail_log "Kafka format" "$KAFKA_LOGS/format.log"
    die "formatting Kafka storage failed; log: $KAFKA_LOGS/format.log"
  fi
}

kafka_check_ports() {
  local port
  kafka_pid >/dev/null && return 0
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$port"; then
      die "port $port is taken by another process (not our Kafka); stop it or set KAFKA_PORT/KAFKA_CONTROLLER_PORT"
    fi
  done
}

kafka_start() {
  local pid
  if pid=$(kafka_pid); then
    log "Kafka already running (pid $pid)"
    return 0
  fi
  kafka_render_config
  kafka_format
  mark_logs "$KAFKA_LOGS/server.log"
  log "starting Kafka on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)"
  local -a heap jvm
  read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  # kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS, plus temp dirs for the zstd/snappy natives (a noexec
  # /tmp breaks them) and the GC log next to the broker logs.
  jvm=(
    "${heap[@]}"
    -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true
    "-Xlog:gc*:file=$KAFKA_LOGS/gc.log:time,tags:filecount=5,filesize=20M"
    -Dkafka.logs.dir="$KAFKA_LOGS"
    -Dlog4j2.configurationFile="$KAFKA_LOG4J"
    -Djava.io.tmpdir="$KAFKA_TMP" -DZstdTempFolder="$KAFKA_TMP" -Dorg.xerial.snappy.tempdir="$KAFKA_TMP"
  )
  (
    cd "$KAFKA_DIR"
    exec setsid nohup java "${jvm[@]}" -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONFIG" \
      >"$KAFKA_LOGS/kafka.out" 2>&1 </dev/null
  ) &
  echo $! >"$KAFKA_PID"
}

kafka_wait() {
  local pid deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  until kafka_answers; do
    if ! pid=$(kafka_pid); then
      tail_log Kafka "$KAFKA_LOGS/kafka.out" "$KAFKA_LOGS/server.log"
      die "Kafka exited during start-up; logs: $KAFKA_LOGS/server.log, $KAFKA_LOGS/kafka.out"
    fi
    if ((SECONDS >= deadline)); then
      tail_log Kafka "$KAFKA_LOGS/kafka.out" "$KAFKA_LOGS/server.log"
      die "Kafka (pid $pid) did not answer on 127.0.0.1:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s; logs: $KAFKA_LOGS/server.log, $KAFKA_LOGS/controller.log"
    fi
    sleep 0.3
  done
  log "Kafka answers on 127.0.0.1:$KAFKA_PORT"
}

topics_tool() {
  KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT KAFKA_PARTITIONS=$KAFKA_PARTITIONS \
    KAFKA_REPLICATION_FACTOR=$KAFKA_REPLICATION_FACTOR KAFKA_MIN_INSYNC_REPLICAS=$KAFKA_MIN_INSYNC_REPLICAS \
    TOPIC_RAW='' TOPIC_ENRICHED='' TOPIC_DLQ='' TOPIC_INDEX='' "$TOPICS_TOOL" topics "$@"
}

# topics_key: what the topics depend on, without building anything (the fast path of `up` stays fast).
topics_key() {
  printf 'partitions=%s replication=%s min.insync.replicas=%s table=%s\n' "$KAFKA_PARTITIONS" \
    "$KAFKA_REPLICATION_FACTOR" "$KAFKA_MIN_INSYNC_REPLICAS" "$(sha256sum <"$REPO_ROOT/pkg/kafkax/topics.go" | cut -d' ' -f1)"
}

# The marker lives in the data dir, so a wiped data dir (or other topic settings) creates the topics again.
# Its first line is topics_key, the others the topics as created (the summary lists their names).
kafka_topics_done() {
  [[ -f $TOPICS_MARKER && $(head -n 1 "$TOPICS_MARKER") == "$(topics_key)" ]]
}

kafka_ensure_topics() {
  local specs
  install_topics_tool
  specs=$(topics_tool specs) || die "sink topics specs failed"
  log "ensuring topics: $(cut -d' ' -f1 <<<"$specs" | tr '\n' ' ')"
  if ! topics_tool ensure -wait "${KAFKA_START_TIMEOUT}s"; then
    die "creating topics failed; broker log: $KAFKA_LOGS/server.log"
  fi
  { topics_key; printf '%s\n' "$specs"; } >"$TOPICS_MARKER"
}

topic_names() {
  if [[ -f $TOPICS_MARKER ]]; then
    tail -n +2 "$TOPICS_MARKER" | cut -d' ' -f1 | tr '\n' ' '
  fi
}

# ---------------------------------------------------------------------------------------------------------
# commands

summary() {
  local kpid cpid
  kpid=$(kafka_pid || echo -)
  cpid=$(ch_pid || echo -)
  cat <<EOF
Kafka       127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)  pid $kpid  log $KAFKA_LOGS/server.log
ClickHouse  127.0.0.1:$CLICKHOUSE_TCP_PORT (http :$CLICKHOUSE_HTTP_PORT)  pid $cpid  log $CH_LOG
Topics      $(topic_names)($KAFKA_PARTITIONS partitions, replication $KAFKA_REPLICATION_FACTOR)
ClickHouse users  $CH_USER (password file $CH_PASSWORD_FILE), $CH_QUERY_USER (read-only, $CH_QUERY_PASSWORD_FILE)
For the services:  eval "\$(scripts/platform.sh env)"
EOF
}

cmd_env() {
  cat <<EOF
export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
export CLICKHOUSE_ADDR=127.0.0.1:$CLICKHOUSE_TCP_PORT
export CLICKHOUSE_USER=$CH_USER
export CLICKHOUSE_PASSWORD_FILE=$CH_PASSWORD_FILE
export CLICKHOUSE_READ_USER=$CH_QUERY_USER
export CLICKHOUSE_READ_PASSWORD_FILE=$CH_QUERY_PASSWORD_FILE
EOF
}

cmd_up() {
  local start=$SECONDS
  mkdir -p "$CH_DIR"
  if ch_pid >/dev/null; then
    ch_render_users # a running server re-reads it: passwords apply without a restart
  fi
  if kafka_pid >/dev/null && ch_pid >/dev/null && kafka_topics_done && kafka_answers && ch_wait_login 15; then
    log "already up"
    summary
    return 0
  fi
  ch_check_ports
  kafka_check_ports
  cmd_install
  # Start both before waiting for either: ClickHouse is ready while the JVM is still warming up.
  ch_start
  kafka_start
  ch_wait
  kafka_wait
  kafka_ensure_topics
  log "up in $((SECONDS - start))s"
  summary
}

cmd_down() {
  local pid
  if pid=$(kafka_pid); then
    stop_pid Kafka "$pid"
  else
    log "Kafka is not running"
  fi
  rm -f "$KAFKA_PID"
  if pid=$(ch_pid); then
    stop_pid ClickHouse "$pid"
  else
    log "ClickHouse is not running"
  fi
  rm -f "$CH_PID"
}

cmd_status() {
  local pid rc=0
  if pid=$(kafka_pid); then
    if kafka_answers; then
      echo "Kafka       up        pid $pid  127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)"
    else
      echo "Kafka       starting  pid $pid  not answering on 127.0.0.1:$KAFKA_PORT yet"
      rc=3
    fi
  else
    echo "Kafka       down"
    rc=3
  fi
  if pid=$(ch_pid); then
    if ch_alive; then
      echo "ClickHouse  up        pid $pid  127.0.0.1:$CLICKHOUSE_TCP_PORT (http :$CLICKHOUSE_HTTP_PORT)"
    else
      echo "ClickHouse  starting  pid $pid  not answering on 127.0.0.1:$CLICKHOUSE_TCP_PORT yet"
      rc=3
    fi
  else
    echo "ClickHouse  down"
    rc=3
  fi
  echo "State       $TENSION_LOCAL"
  echo "Logs        $KAFKA_LOGS/server.log  $CH_LOG"
  return "$rc"
}

cmd_topics() {
  kafka_pid >/dev/null || die "Kafka is not running; start it with: scripts/platform.sh up"
  install_topics_tool
  topics_tool list
}

cmd_logs() {
  local which=all follow=0 arg files=()
  for arg in "$@"; do
    case $arg in
      -f | --follow) follow=1 ;;
      kafka | clickhouse | all) which=$arg ;;
      *) die "logs: unknown argument $arg (usage: logs [kafka|clickhouse|all] [-f])" ;;
    esac
  done
  if [[ $which == kafka || $which == all ]]; then
    files+=("$KAFKA_LOGS/server.log" "$KAFKA_LOGS/kafka.out")
  fi
  if [[ $which == clickhouse || $which == all ]]; then
    files+=("$CH_LOG" "$CH_ERRLOG")
  fi
  local existing=()
  for arg in "${files[@]}"; do
    [[ -f $arg ]] && existing+=("$arg")
  done
  ((${#existing[@]})) || die "no log files yet under $TENSION_LOCAL (has the platform been started?)"
  if ((follow)); then
    exec tail -n 50 -F "${existing[@]}"
  fi
  tail -n 50 "${existing[@]}"
}

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case $cmd in
    install) cmd_install ;;
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    topics) cmd_topics ;;
    env) cmd_env ;;
    logs) cmd_logs "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

# Sourced (scripts/cluster.sh reuses the helpers): define everything, run nothing.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
