#!/usr/bin/env bash
# bench-e2e.sh (make bench-e2e): end-to-end throughput and latency of the
# whole pipeline on the local stack, measured by bin/loadgen from HTTP accept
# to visible in GET /v1/index. It runs the services against a database and
# topics of its own (tension_bench, bench.*), so the demo data is untouched.
#   N (default 20000) articles as fast as possible: end-to-end articles/s
#   RATE_N (default 20000) articles at RATE (default 1000)/s: latency p50/p95/p99 (issue 12: p99 <= 1 s at 1,000/s)
#   WARMUP_N (default 100000; 0: none) articles first, as fast as possible, printed but not the measurement: a
#   broker just started spends much of its first runs compiling its hot paths (the JVM's JIT compilers took
#   4.2 CPU-s over a first run on a new platform, its request handlers 2.5; docs/performance.md round 20), as
#   the OpenMessaging Benchmark's warm-up allows for. The warm-up's articles stay in the database.
# The database keeps what earlier runs counted, and the run prints how much: the sink's exactly-once reads
# cost more the more it holds (docs/performance.md, "Exactly-once reads still grow with the history").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} # the approved Go; see README
ROOT=$PWD
LOCAL=${TENSION_LOCAL:-$ROOT/.local}
LOGS=$LOCAL/logs/bench
N=${N:-20000}
RATE=${RATE:-1000}
RATE_N=${RATE_N:-20000}
WARMUP_N=${WARMUP_N:-100000}
[[ $WARMUP_N =~ ^[0-9]+$ ]] || { echo "bench-e2e: WARMUP_N=$WARMUP_N is not a count of articles" >&2; exit 2; }

# shellcheck source=scripts/services.sh
source scripts/services.sh
need_curl
TOKEN=$(dev_token "$LOCAL/dev-token")
export INGEST_TOKENS_FILE=$LOCAL/dev-token
export CLICKHOUSE_DB=tension_bench TOPIC_RAW=bench.articles.raw.v1 \
	TOPIC_ENRICHED=bench.articles.enriched.v1 TOPIC_DLQ=bench.articles.dlq.v1 \
	ENRICHER_GROUP=bench-enricher SINK_GROUP=bench-sink LOG_LEVEL=warn

platform_started=0
if ! bash scripts/platform.sh status >/dev/null 2>&1; then
	bash scripts/platform.sh up
	platform_started=1
fi
# A platform already up gets `up` too: it is idempotent, and re-renders ClickHouse's users (and generates their
# passwords) for a platform started before they existed.
bash scripts/platform.sh up >/dev/null
finish() {
	stop_services
	((platform_started)) && bash scripts/platform.sh down
	return 0
}
trap finish EXIT
eval "$(bash scripts/platform.sh env)"
start_services

# stat_seconds PID FIELDS: the sum of /proc/PID/stat's clock-tick FIELDS (after the command name: 12 user,
# 13 system), in seconds; 0 when the process is gone.
stat_seconds() {
	awk -v hz="$(getconf CLK_TCK)" -v fields="$2" '{sub(/.*\) /, ""); n = split(fields, f, " "); t = 0
		for (i = 1; i <= n; i++) t += $f[i]; printf "%.2f", t / hz}' "/proc/$1/stat" 2>/dev/null || echo 0
}
# cpu_seconds PID: the CPU time (user + system, all threads) a process used so far, in seconds.
cpu_seconds() { stat_seconds "$1" "12 13"; }
# kernel_seconds PID: the part of it spent in the kernel (system time). ClickHouse's is a small part unless
# creating files is slow: on ext4 without a journal, as on this project's machine, every new file first steps
# over the inodes deleted in the last minutes, and a dropped database is thousands of them (docs/performance.md,
# "How to measure").
kernel_seconds() { stat_seconds "$1" 13; }
# children_cpu sets REPLY to the CPU seconds of this shell's finished
# children (bash's times, written to a file: in a pipe or $(...) it would
# run in a subshell, which has none)
children_cpu() {
	times >"$LOGS/times"
	REPLY=$(awk 'NR == 2 {split($1 " " $2, t, /[ ms]+/); printf "%.2f", t[1] * 60 + t[2] + t[3] * 60 + t[4]}' "$LOGS/times")
}
# The CPU time of each process while a run streams: what the wall-clock figures cannot say on a machine
# shared with other work. The load generator shares the two cores too: its generating, encoding and polling
# is CPU the pipeline does not get.
names=(sink enricher ingest query kafka clickhouse)
clickhouse_pid=$(cat "$LOCAL/clickhouse/clickhouse.pid")
pids=("${service_pids[@]}" "$(cat "$LOCAL/kafka/kafka.pid")" "$clickhouse_pid")
# cpu_mark remembers each process's CPU seconds so far, and this shell's finished children's (loadgen's).
cpu_mark() {
	before=()
	local p
	for p in "${pids[@]}"; do before+=("$(cpu_seconds "$p")"); done
	clickhouse_kernel_before=$(kernel_seconds "$clickhouse_pid")
	children_cpu
	loadgen_before=$REPLY
}
# cpu_since LABEL SCALE FORMAT sets REPLY to LABEL and each process's CPU seconds since cpu_mark, times
# SCALE, printed with FORMAT, ClickHouse's with its part in the kernel, the load generator's last.
cpu_since() {
	local line=$1 scale=$2 format=$3 i
	for i in "${!pids[@]}"; do
		line+=" ${names[$i]} $(awk -v a="${before[$i]}" -v b="$(cpu_seconds "${pids[$i]}")" -v s="$scale" -v f="$format" 'BEGIN {printf f, (b - a) * s}')"
	done
	line+=" (in the kernel $(awk -v a="$clickhouse_kernel_before" -v b="$(kernel_seconds "$clickhouse_pid")" -v s="$scale" -v f="$format" 'BEGIN {printf f, (b - a) * s}'))"
	children_cpu
	REPLY="$line loadgen $(awk -v a="$loadgen_before" -v b="$REPLY" -v s="$scale" -v f="$format" 'BEGIN {printf f, (b - a) * s}')"
}

# history: the articles its database already counts (earlier runs). Every batch's exactly-once reads
# (priors and claims) scan all of them: the figures depend on it (docs/performance.md).
history() {
	clickhouse-client --config-file="$LOCAL/clickhouse/secrets/client.xml" --host 127.0.0.1 \
		--port "${CLICKHOUSE_ADDR##*:}" --database "$CLICKHOUSE_DB" \
		-q "SELECT sum(articles) FROM index_journal WHERE kind = 'bucket' AND granularity = 'day' AND pair = '*' AND (tagger_version = '' OR in_current = 1)" \
		2>/dev/null || echo unknown
}
# sink_batches: the batches the sink has written so far (its tension_sink_batches_total). How many
# articles each holds decides what ClickHouse spends per article: a part per table and partition per write,
# merged again after (docs/performance.md).
# "unknown" when the sink does not answer: a benchmark is not stopped, nor told 0, for want of it.
sink_batches() {
	local metrics
	metrics=$(curl -fsS "http://$SINK_ADMIN_ADDR/metrics" 2>/dev/null) || { echo unknown; return 0; }
	awk '$1 == "tension_sink_batches_total" {n = $2} END {if (n == "") print "unknown"; else printf "%d\n", n}' <<<"$metrics"
}
# batches_since BEFORE sets REPLY to the batches written since sink_batches printed BEFORE.
batches_since() {
	local now
	now=$(sink_batches)
	if [[ $1 == unknown || $now == unknown ]]; then REPLY=unknown; else REPLY=$((now - $1)); fi
}
# throughput_run LABEL COUNT OUT: COUNT articles as fast as loadgen sends them, their end-to-end rate (loadgen's
# lines) and each process's CPU per 100,000 articles.
throughput_run() {
	local label=$1 count=$2 out=$3
	say "$label: $count articles as fast as loadgen sends them (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	cpu_mark
	bin/loadgen -ingest-url "http://$INGEST_ADDR" -query-url "http://$QUERY_ADDR" -token "$TOKEN" -n "$count" -wait -out "$out" | grep -v '^{'
	cpu_since "$label, CPU-s per 100,000 articles:" "$(awk -v n="$count" 'BEGIN {print 100000 / n}')" "%.2f"
	say "$REPLY (load average $(cut -d' ' -f1-3 /proc/loadavg))"
}
if ((WARMUP_N > 0)); then
	throughput_run "warm-up (not the measurement)" "$WARMUP_N" "$LOGS/warmup.json"
fi
say "history: $(history) articles already counted in $CLICKHOUSE_DB (earlier runs and the warm-up)"
batches_before=$(sink_batches)
throughput_run throughput "$N" "$LOGS/throughput.json"
batches_since "$batches_before"
say "sink: $REPLY batches, $(awk -v n="$N" -v b="$REPLY" 'BEGIN {if (b + 0 > 0) printf "%.0f", n / b; else printf "unknown"}') articles per batch"
say "latency: $RATE_N articles at $RATE/s"
cpu_mark
started=$(date +%s.%N)
batches_before=$(sink_batches)
bin/loadgen -ingest-url "http://$INGEST_ADDR" -query-url "http://$QUERY_ADDR" -token "$TOKEN" -n "$RATE_N" -rate "$RATE" -wait -out "$LOGS/latency.json" | grep -v '^{'
# What a steady stream costs each process: CPU seconds per second (cores) while it ran. Per batch the
# sink's inserts and exactly-once reads cost ClickHouse the same whatever the batch's size, so at a
# live rate this, not the throughput run's CPU per article, is what sizes the store (docs/performance.md).
elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
cpu_since "CPU cores while streaming at $RATE/s:" "$(awk -v t="$elapsed" 'BEGIN {print 1 / t}')" "%.3f"
say "$REPLY (over $(printf '%.1f' "$elapsed") s)"
batches_since "$batches_before"
say "sink: $REPLY batches while streaming"
say "summaries in $LOGS/throughput.json and $LOGS/latency.json"
