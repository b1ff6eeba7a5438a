#!/usr/bin/env bash
# run.sh (make run): the whole pipeline on this machine in one command.
# Installs what is missing, starts Kafka and ClickHouse, the four services,
# loads the sample articles, waits until ClickHouse has every one of them,
# prints the CN-US index per month, and stays in the foreground until Ctrl-C,
# then stops everything it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
LOCAL=${TENSION_LOCAL:-$ROOT/.local}
LOGS=$LOCAL/logs
mkdir -p "$LOGS"

INGEST_ADDR=${INGEST_ADDR:-127.0.0.1:8080}
QUERY_ADDR=${QUERY_ADDR:-127.0.0.1:8081}
SINK_ADDR=${SINK_ADDR:-127.0.0.1:8082}
ENRICHER_ADDR=${ENRICHER_ADDR:-127.0.0.1:8083}
export INGEST_ADDR QUERY_ADDR SINK_ADDR ENRICHER_ADDR

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# A local dev token, made once and kept under .local/ (git-ignored).
TOKEN_FILE=$LOCAL/dev-token
if [ ! -s "$TOKEN_FILE" ]; then
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TOKEN_FILE"
	echo >>"$TOKEN_FILE"
fi
TOKEN=$(head -n1 "$TOKEN_FILE")
export TENSION_TOKENS_FILE=$TOKEN_FILE

command -v curl >/dev/null || { say "installing curl"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }

platform_started=0
if ! bash scripts/platform.sh status >/dev/null 2>&1; then
	say "starting Kafka and ClickHouse (first run downloads Kafka from Maven Central and installs ClickHouse)"
	bash scripts/platform.sh up
	platform_started=1
fi

pids=()
stop_all() {
	trap - INT TERM EXIT
	say "stopping the services"
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if ((platform_started)); then
		say "stopping Kafka and ClickHouse"
		bash scripts/platform.sh down || true
	fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

start() {
	local name=$1
	shift
	"$ROOT/bin/$name" "$@" >"$LOGS/$name.log" 2>&1 &
	pids+=($!)
}
say "starting ingest, enricher, sink and query (logs in $LOGS)"
start sink
start enricher
start ingest
start query

wait_ready() {
	local name=$1 url=$2
	for _ in $(seq 1 120); do
		if curl -fsS "$url" >/dev/null 2>&1; then return 0; fi
		sleep 0.5
	done
	echo "run: $name did not become ready at $url; its log ($LOGS/$name.log) ends with:" >&2
	tail -n 20 "$LOGS/$name.log" >&2
	exit 1
}
wait_ready sink "http://$SINK_ADDR/readyz"
wait_ready enricher "http://$ENRICHER_ADDR/readyz"
wait_ready ingest "http://$INGEST_ADDR/readyz"
wait_ready query "http://$QUERY_ADDR/readyz"

# The sample set, plus the seed article when shared/ is beside the repo.
payload=$(mktemp)
cp samples/articles.jsonl "$payload"
SEED=${TENSION_SHARED:-$ROOT/../shared}/seeds/seed-article.txt
if [ -f "$SEED" ]; then
	python3 - "$SEED" >>"$payload" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
title = lines[0].strip()
text = "\n".join(l for l in lines[1:] if l.strip() and l.strip() != "topics")
print(json.dumps({"id": "seed-article", "title": title, "text": text,
                  "published_at": "2025-05-01T06:00:00Z", "source": "seed"}))
PY
fi
sent=$(grep -c . "$payload")
say "loading $sent articles through POST /v1/articles"
code=$(curl -sS -o "$LOGS/load-response.json" -w '%{http_code}' -X POST "http://$INGEST_ADDR/v1/articles" \
	-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/x-ndjson' --data-binary @"$payload")
rm -f "$payload"
if [ "$code" != 202 ]; then
	echo "run: ingest answered $code:" >&2
	cat "$LOGS/load-response.json" >&2
	exit 1
fi

from=2017-01-01T00:00:00Z
to=$(date -u -d tomorrow +%Y-%m-%dT00:00:00Z)
index_url="http://$QUERY_ADDR/v1/index?pair=CN-US&interval=month&from=$from&to=$to"
say "waiting until ClickHouse has all $sent articles"
have=0
for _ in $(seq 1 240); do
	have=$(curl -fsS "$index_url" | python3 -c 'import json, sys; print(sum(b["articles"] for b in json.load(sys.stdin)["buckets"]))' 2>/dev/null || echo 0)
	[ "$have" -ge "$sent" ] && break
	sleep 0.5
done
if [ "$have" -lt "$sent" ]; then
	echo "run: only $have of $sent articles are visible after 2 minutes; see $LOGS/*.log" >&2
	exit 1
fi

say "CN-US tension index per month ($have articles in all; index 100 = the mean share over the range)"
curl -fsS "$index_url" | python3 scripts/index_table.py
cat <<EOT

  ingest     http://$INGEST_ADDR/v1/articles     (POST, Authorization: Bearer $TOKEN)
  query      http://$QUERY_ADDR/v1/index?pair=CN-US&interval=day&from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z
             http://$QUERY_ADDR/v1/drivers?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-05-01T00:00:00Z
             http://$QUERY_ADDR/v1/pairs
  metrics    http://$INGEST_ADDR/metrics  http://$QUERY_ADDR/metrics  http://$SINK_ADDR/metrics  http://$ENRICHER_ADDR/metrics
  dev token  $TOKEN   (in $TOKEN_FILE)
  logs       $LOGS/

Running. Press Ctrl-C to stop everything.
EOT
while :; do
	for p in "${pids[@]}"; do
		if ! kill -0 "$p" 2>/dev/null; then
			echo "run: a service exited; see $LOGS/*.log" >&2
			exit 1
		fi
	done
	sleep 2
done
