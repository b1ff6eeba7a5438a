# services.sh: sourced by run.sh and bench-e2e.sh. Starts the four services
# from bin/ in the background with logs under $LOGS, waits for /readyz, and
# stops them. Expects ROOT and LOGS to be set.

INGEST_ADDR=${INGEST_ADDR:-127.0.0.1:8080}
QUERY_ADDR=${QUERY_ADDR:-127.0.0.1:8081}
SINK_ADMIN_ADDR=${SINK_ADMIN_ADDR:-127.0.0.1:8082}
ENRICHER_ADMIN_ADDR=${ENRICHER_ADMIN_ADDR:-127.0.0.1:8083}
# Admin listeners (/healthz, /readyz, /metrics) of the services that also have a public one.
INGEST_ADMIN_ADDR=${INGEST_ADMIN_ADDR:-127.0.0.1:8084}
QUERY_ADMIN_ADDR=${QUERY_ADMIN_ADDR:-127.0.0.1:8085}
export INGEST_ADDR QUERY_ADDR SINK_ADMIN_ADDR ENRICHER_ADMIN_ADDR INGEST_ADMIN_ADDR QUERY_ADMIN_ADDR

service_pids=()

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

start_service() {
	local name=$1
	shift
	"$ROOT/bin/$name" "$@" >"$LOGS/$name.log" 2>&1 &
	service_pids+=($!)
}

wait_ready() {
	local name=$1 url=$2
	for _ in $(seq 1 120); do
		if curl -fsS "$url" >/dev/null 2>&1; then return 0; fi
		sleep 0.5
	done
	echo "$name did not become ready at $url; its log ($LOGS/$name.log) ends with:" >&2
	tail -n 20 "$LOGS/$name.log" >&2
	return 1
}

start_services() {
	mkdir -p "$LOGS"
	say "starting ingest, enricher, sink and query (logs in $LOGS)"
	start_service sink # creates and migrates the database that the query service (read-only) checks
	wait_ready sink "http://$SINK_ADMIN_ADDR/readyz"
	start_service enricher
	start_service ingest
	start_service query
	wait_ready enricher "http://$ENRICHER_ADMIN_ADDR/readyz"
	wait_ready ingest "http://$INGEST_ADDR/readyz"
	wait_ready query "http://$QUERY_ADDR/readyz"
}

stop_services() {
	((${#service_pids[@]})) || return 0
	say "stopping the services"
	for p in "${service_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${service_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	service_pids=()
}

services_alive() {
	for p in "${service_pids[@]}"; do
		kill -0 "$p" 2>/dev/null || return 1
	done
}

# dev_token makes a local token once (`ingest token`: 32 random bytes) and keeps it under .local/
# (git-ignored), readable by this user only.
dev_token() {
	local file=$1
	if [ ! -s "$file" ]; then
		(umask 077 && "$ROOT/bin/ingest" token >"$file.tmp" && mv "$file.tmp" "$file")
	fi
	chmod 600 "$file"
	head -n1 "$file"
}

need_curl() {
	command -v curl >/dev/null && return 0
	say "installing curl"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
}

# post_articles FILE OUT: POST an NDJSON file to ingest until it is accepted (202). A 503 (Kafka not ready,
# a leader election) is retried after the Retry-After it carries: re-sending a whole request is safe,
# since article ids are stable and an article written twice is counted once. So is a refused
# connection (ingest still starting). Anything else is an error. The last answer is left in OUT.
post_articles() {
	local file=$1 out=$2 headers code wait attempt
	headers=$(mktemp)
	for attempt in $(seq 1 60); do
		code=$(curl -sS -o "$out" -D "$headers" -w '%{http_code}' -X POST "http://$INGEST_ADDR/v1/articles" \
			-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/x-ndjson' --data-binary @"$file" 2>/dev/null) || code=000
		case $code in
		202)
			rm -f "$headers"
			return 0
			;;
		503 | 000)
			wait=$(tr -d '\r' <"$headers" | awk 'tolower($1) == "retry-after:" && $2 ~ /^[0-9]+$/ { print $2 }')
			wait=${wait:-1}
			say "ingest answered ${code/000/no connection} (try $attempt): $(head -c 300 "$out" 2>/dev/null); retrying in ${wait}s"
			sleep "$wait"
			;;
		*)
			rm -f "$headers"
			echo "run: ingest answered $code:" >&2
			cat "$out" >&2
			return 1
			;;
		esac
	done
	rm -f "$headers"
	echo "run: ingest did not accept the articles after $attempt tries; last answer ($code):" >&2
	cat "$out" >&2
	return 1
}
