#!/usr/bin/env bash
# run.sh (make run): the whole pipeline on this machine in one command.
# Installs what is missing, starts Kafka and ClickHouse, the four services,
# loads the sample articles, follows the sample feeds (services/follow on
# samples/feeds), waits until ClickHouse has every one of them,
# prints the CN-US index per month, and stays in the foreground until Ctrl-C,
# then stops everything it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} # the approved Go; see README
ROOT=$PWD
LOCAL=${TENSION_LOCAL:-$ROOT/.local}
LOGS=$LOCAL/logs
mkdir -p "$LOGS"

# shellcheck source=scripts/services.sh
source scripts/services.sh

# A local dev token, made once and kept under .local/ (git-ignored).
TOKEN_FILE=$LOCAL/dev-token
TOKEN=$(dev_token "$TOKEN_FILE")
export INGEST_TOKENS_FILE=$TOKEN_FILE
need_curl

platform_started=0
if ! bash scripts/platform.sh status >/dev/null 2>&1; then
	say "starting Kafka and ClickHouse (first run downloads Kafka from Maven Central and installs ClickHouse)"
	bash scripts/platform.sh up
	platform_started=1
fi
# A platform already up gets `up` too: it is idempotent, and re-renders ClickHouse's users (and generates their
# passwords) for a platform started before they existed.
bash scripts/platform.sh up >/dev/null

stop_all() {
	trap - INT TERM EXIT
	stop_services
	if ((platform_started)); then
		say "stopping Kafka and ClickHouse"
		bash scripts/platform.sh down || true
	fi
}
trap stop_all EXIT
trap 'exit 0' INT TERM
# Addresses, ClickHouse users and password files of the local platform.
eval "$(bash scripts/platform.sh env)"

start_services

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
if ! post_articles "$payload" "$LOGS/load-response.json"; then
	rm -f "$payload"
	exit 1
fi
rm -f "$payload"

# The source follower on the project's sample feeds (samples/feeds: RSS and Atom feeds, their pages, a robots.txt),
# served by a static file server on FOLLOW_SAMPLES_ADDR. The follower publishes 7 more articles (8 items; one page
# is in two feeds and counts once); its state (.local/follow-state/) makes a second run publish none again.
FOLLOW_SAMPLES_ADDR=${FOLLOW_SAMPLES_ADDR:-127.0.0.1:8087}
FOLLOW_ADMIN_ADDR=${FOLLOW_ADMIN_ADDR:-127.0.0.1:8086}
export FOLLOW_ADMIN_ADDR
say "following the sample feeds (served on $FOLLOW_SAMPLES_ADDR)"
python3 -m http.server --bind "${FOLLOW_SAMPLES_ADDR%:*}" --directory samples/feeds "${FOLLOW_SAMPLES_ADDR##*:}" \
	>"$LOGS/samples-server.log" 2>&1 &
service_pids+=($!)
sed "s|http://127.0.0.1:8087/|http://$FOLLOW_SAMPLES_ADDR/|" samples/feeds/sources.tsv >"$LOCAL/sources.tsv"
for _ in $(seq 1 40); do curl -fsS -o /dev/null "http://$FOLLOW_SAMPLES_ADDR/robots.txt" 2>/dev/null && break; sleep 0.25; done
FOLLOW_SOURCES=$LOCAL/sources.tsv FOLLOW_STATE=$LOCAL/follow-state \
	FOLLOW_CONTACT_URL=${FOLLOW_CONTACT_URL:-http://$FOLLOW_SAMPLES_ADDR/} start_service follow
wait_ready follow "http://$FOLLOW_ADMIN_ADDR/readyz"
followed=7
sent=$((sent + followed))

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

say "CN-US tension index per month ($have articles in all, $followed of them from the sample feeds; index 100 = the mean share over the range)"
curl -fsS "$index_url" | python3 scripts/index_table.py
cat <<EOT

  ingest     http://$INGEST_ADDR/v1/articles     (POST, Authorization: Bearer $TOKEN)
  query      http://$QUERY_ADDR/v1/index?pair=CN-US&interval=day&from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z
             http://$QUERY_ADDR/v1/drivers?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-05-01T00:00:00Z
             http://$QUERY_ADDR/v1/pairs
  sources    http://$FOLLOW_ADMIN_ADDR/v1/sources   (the follower: samples/feeds, served on $FOLLOW_SAMPLES_ADDR)
  metrics    http://$INGEST_ADMIN_ADDR/metrics  http://$QUERY_ADMIN_ADDR/metrics  http://$SINK_ADMIN_ADDR/metrics  http://$ENRICHER_ADMIN_ADDR/metrics
  dev token  $TOKEN   (in $TOKEN_FILE)
  logs       $LOGS/

Running. Press Ctrl-C to stop everything.
EOT
while services_alive; do sleep 2; done
echo "run: a service exited; see $LOGS/*.log" >&2
exit 1
