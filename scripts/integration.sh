#!/usr/bin/env bash
# integration.sh: run every TestIntegration* test against the local Kafka and
# ClickHouse. Starts the platform when it is not up and stops it afterwards
# only if this script started it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} # the approved Go; see README

started=0
if ! bash scripts/platform.sh status >/dev/null 2>&1; then
	echo "integration: starting the local platform (make up)"
	bash scripts/platform.sh up
	started=1
fi
# A platform already up gets `up` too: it is idempotent, and re-renders ClickHouse's users (and generates their
# passwords) for a platform started before they existed.
bash scripts/platform.sh up >/dev/null
cleanup() {
	if ((started)); then
		echo "integration: stopping the platform this run started"
		bash scripts/platform.sh down || true
	fi
}
trap cleanup EXIT
# Addresses, ClickHouse users and password files of the local platform.
eval "$(bash scripts/platform.sh env)"

# The dashboard's browser test (services/query) drives Debian's chromium.
bash scripts/install-browser.sh

export TENSION_INTEGRATION=1
export TENSION_REPO=$PWD
# e2e builds its own binaries with the testhooks build tag (e2e/main_test.go).
# Every module of go.work, the end-to-end tests last (they take longest).
mapfile -t modules < <(sed -n 's|^[[:space:]]*\./\([^[:space:]]*\)$|\1|p' go.work | grep -vx e2e)
modules+=(e2e)
for m in "${modules[@]}"; do
	[ -d "$m" ] || continue
	echo "== integration $m"
	extra=()
	if [ "$m" = services/query ]; then
		# keep the dashboard screenshot: .local/test-output/query/_artifacts/*/dashboard.png
		mkdir -p "$PWD/.local/test-output/query"
		extra=(-artifacts -outputdir "$PWD/.local/test-output/query")
	fi
	(cd "$m" && go test -count=1 -timeout 25m -run Integration "${extra[@]}" ./...)
done
