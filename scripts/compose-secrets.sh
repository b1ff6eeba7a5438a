#!/usr/bin/env bash
# compose-secrets.sh: writes .env for docker-compose.yml with generated secrets (mode 0600, git-ignored):
# the ClickHouse passwords of the writer (tension) and the read-only query user (tension_query), the ingest
# tokens and the query read tokens. Existing values in .env are kept; only missing ones are added.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ENV_FILE=${ENV_FILE:-.env}
umask 077
touch "$ENV_FILE"
chmod 600 "$ENV_FILE"
secret() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
added=0
for var in CLICKHOUSE_PASSWORD CLICKHOUSE_READ_PASSWORD INGEST_TOKENS QUERY_TOKENS; do
	if ! grep -q "^$var=" "$ENV_FILE"; then
		echo "$var=$(secret)" >>"$ENV_FILE"
		added=$((added + 1))
	fi
done
echo "compose-secrets: $ENV_FILE has every secret ($added generated); tokens: grep TOKENS $ENV_FILE"
