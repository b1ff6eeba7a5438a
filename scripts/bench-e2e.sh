#!/usr/bin/env bash
# bench-e2e.sh (make bench-e2e): end-to-end throughput and latency of the
# whole pipeline on the local stack, measured by bin/loadgen from HTTP accept
# to visible in GET /v1/index. It runs the services against a database and
# topics of its own (tension_bench, bench.*), so the demo data is untouched.
#   N (default 20000) articles as fast as possible: end-to-end articles/s
#   RATE_N (default 20000) articles at RATE (default 1000)/s: latency p50/p95/p99 (issue 12: p99 <= 1 s at 1,000/s)
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

# cpu_seconds PID: the CPU time (user + system, all threads) a process used so far, in seconds.
cpu_seconds() {
	awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0
}
# The CPU time of each process while the throughput run streams, per 100,000 articles: what the
# wall-clock figure cannot say on a machine shared with other work.
names=(sink enricher ingest query kafka clickhouse)
pids=("${service_pids[@]}" "$(cat "$LOCAL/kafka/kafka.pid")" "$(cat "$LOCAL/clickhouse/clickhouse.pid")")
before=()
for p in "${pids[@]}"; do before+=("$(cpu_seconds "$p")"); done

# history: the articles its database already counts (earlier runs). Every batch's exactly-once reads
# (priors and claims) scan all of them: the figures depend on it (docs/performance.md).
history() {
	clickhouse-client --config-file="$LOCAL/clickhouse/secrets/client.xml" --host 127.0.0.1 \
		--port "${CLICKHOUSE_ADDR##*:}" --database "$CLICKHOUSE_DB" \
		-q "SELECT sum(articles) FROM index_journal WHERE kind = 'bucket' AND granularity = 'day' AND pair = '*' AND tagger_version = ''" \
		2>/dev/null || echo unknown
}
say "history: $(history) articles already counted in $CLICKHOUSE_DB (earlier runs)"
say "throughput: $N articles as fast as loadgen sends them (load average $(cut -d' ' -f1-3 /proc/loadavg))"
# children_cpu sets REPLY to the CPU seconds of this shell's finished
# children (bash's times, written to a file: in a pipe or $(...) it would
# run in a subshell, which has none)
children_cpu() {
	times >"$LOGS/times"
	REPLY=$(awk 'NR == 2 {split($1 " " $2, t, /[ ms]+/); printf "%.2f", t[1] * 60 + t[2] + t[3] * 60 + t[4]}' "$LOGS/times")
}
children_cpu
loadgen_before=$REPLY
bin/loadgen -ingest-url "http://$INGEST_ADDR" -query-url "http://$QUERY_ADDR" -token "$TOKEN" -n "$N" -wait -out "$LOGS/throughput.json" | grep -v '^{'
line="CPU-s per 100,000 articles:"
for i in "${!pids[@]}"; do
	line+=" ${names[$i]} $(awk -v a="${before[$i]}" -v b="$(cpu_seconds "${pids[$i]}")" -v n="$N" 'BEGIN {printf "%.2f", (b - a) * 100000 / n}')"
done
# the load generator shares the two cores too: its generating, encoding and
# polling is CPU the pipeline does not get
children_cpu
line+=" loadgen $(awk -v a="$loadgen_before" -v b="$REPLY" -v n="$N" 'BEGIN {printf "%.2f", (b - a) * 100000 / n}')"
say "$line (load average $(cut -d' ' -f1-3 /proc/loadavg))"
say "latency: $RATE_N articles at $RATE/s"
before=()
for p in "${pids[@]}"; do before+=("$(cpu_seconds "$p")"); done
children_cpu
loadgen_before=$REPLY
started=$(date +%s.%N)
bin/loadgen -ingest-url "http://$INGEST_ADDR" -query-url "http://$QUERY_ADDR" -token "$TOKEN" -n "$RATE_N" -rate "$RATE" -wait -out "$LOGS/latency.json" | grep -v '^{'
# What a steady stream costs each process: CPU seconds per second (cores) while it ran. Per batch the
# sink's inserts and exactly-once reads cost ClickHouse the same whatever the batch's size, so at a
# live rate this, not the throughput run's CPU per article, is what sizes the store (docs/performance.md).
elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
line="CPU cores while streaming at $RATE/s:"
for i in "${!pids[@]}"; do
	line+=" ${names[$i]} $(awk -v a="${before[$i]}" -v b="$(cpu_seconds "${pids[$i]}")" -v t="$elapsed" 'BEGIN {printf "%.3f", (b - a) / t}')"
done
children_cpu
line+=" loadgen $(awk -v a="$loadgen_before" -v b="$REPLY" -v t="$elapsed" 'BEGIN {printf "%.3f", (b - a) / t}')"
say "$line (over $(printf '%.1f' "$elapsed") s)"
say "summaries in $LOGS/throughput.json and $LOGS/latency.json"
