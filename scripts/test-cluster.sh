#!/usr/bin/env bash
# test-cluster.sh: the cluster drills (`make test-cluster`) and the soak (`make soak`, argument `soak`) against
# the local replicated platform (scripts/cluster.sh). Starts the cluster when it is not up and stops it
# afterwards only if this script started it. Not part of `make test`: the single node stays the default.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} # the approved Go; see README
mode=${1:-drills}

started=0
if ! bash scripts/cluster.sh status >/dev/null 2>&1; then
	echo "test-cluster: starting the local cluster (make up-cluster)"
	bash scripts/cluster.sh up
	started=1
fi
cleanup() {
	if ((started)); then
		echo "test-cluster: stopping the cluster this run started"
		bash scripts/cluster.sh down || true
	fi
}
trap cleanup EXIT

eval "$(bash scripts/cluster.sh env)"
export TENSION_INTEGRATION=1 TENSION_CLUSTER=1
export TENSION_REPO=$PWD
# Keep every service's log of every drill: .local/test-output/cluster/<test>/<service>.<n>.log
export TENSION_E2E_LOGS=${TENSION_E2E_LOGS:-$PWD/.local/test-output/cluster}
rm -rf "$TENSION_E2E_LOGS"
case $mode in
	drills)
		# The same migrations and store tests as on the single node, now replicated; then the drills.
		(cd pkg && go test -count=1 -timeout 20m -run 'Integration(Cluster|Migrate)' ./chstore/...)
		(cd services/sink && go test -count=1 -timeout 20m -run 'Integration' ./...)
		(cd e2e && go test -count=1 -timeout 90m -v -run 'TestCluster|TestIntegrationRebuildWhileSinksWrite' .)
		;;
	soak)
		(cd e2e && TENSION_SOAK=1 go test -count=1 -timeout 6h -v -run 'TestSoak' .)
		;;
	*)
		echo "usage: test-cluster.sh [drills|soak]" >&2
		exit 2
		;;
esac
