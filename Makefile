# Tension: the developer's front door. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
# go.work is the one list of modules; the services are its modules under services/.
MODULES   := $(shell sed -n 's|^[[:space:]]*\./\([^[:space:]]*\)$$|\1|p' go.work)
SERVICES  := $(patsubst services/%,%,$(filter services/%,$(MODULES)))
BIN       := bin
export GOFLAGS ?= -buildvcs=false
# Go 1.26.8 has reachable net/http vulnerabilities; go1.27.3 comes from the module proxy (~10 s, once).
export GOTOOLCHAIN := go1.27.3

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[1m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: build ## install what is missing, start Kafka, ClickHouse and the services, load the samples, show the index; Ctrl-C stops all
	@bash scripts/run.sh

.PHONY: up
up: ## start local Kafka and ClickHouse in the background (installs them when missing; idempotent)
	@bash scripts/platform.sh up

.PHONY: down
down: ## stop local Kafka and ClickHouse (idempotent)
	@bash scripts/platform.sh down

.PHONY: status
status: ## show what runs, on which ports, and where the logs are
	@bash scripts/platform.sh status

.PHONY: up-cluster
up-cluster: ## start the local replicated platform: 3 Kafka brokers, ZooKeeper, 2 ClickHouse replicas (scripts/cluster.sh)
	@bash scripts/cluster.sh up

.PHONY: down-cluster
down-cluster: ## stop the local replicated platform (idempotent)
	@bash scripts/cluster.sh down

.PHONY: status-cluster
status-cluster: ## show the local cluster's components, pids and state
	@bash scripts/cluster.sh status

.PHONY: test-cluster
test-cluster: build ## cluster drills (a broker, two brokers, a replica, ZooKeeper and sink failures, scaling) against the local cluster; not part of make test
	@bash scripts/test-cluster.sh drills

.PHONY: soak
soak: build ## 1,000,000 articles while a chaos loop SIGKILLs random components 50 times (local cluster; hours)
	@bash scripts/test-cluster.sh soak

.PHONY: build
build: ## build every service into bin/ (the dashboard is the committed build in services/query/internal/web/dist; `make web` rebuilds it)
	@mkdir -p $(BIN)
	@for s in $(SERVICES); do (cd services/$$s && $(GO) build -o ../../$(BIN)/$$s .) || exit 1; done
	@echo "built: $(addprefix $(BIN)/,$(SERVICES))"

.PHONY: test
test: test-unit test-integration ## unit tests, then integration tests against real Kafka and ClickHouse (started if needed)

.PHONY: test-unit
test-unit: fmt-check vet ## gofmt, go vet and unit tests with the race detector
	@for m in $(MODULES); do echo "== unit $$m"; (cd $$m && $(GO) test -race -count=1 ./...) || exit 1; done
	@echo "== unit pkg/tagger timing and memory (without -race, which distorts them)"; cd pkg && $(GO) test -count=1 -run '^TestLinear' ./tagger

.PHONY: test-integration
test-integration: build ## integration tests (TENSION_INTEGRATION=1) against the local platform; starts it if needed and stops what it started
	@bash scripts/integration.sh

.PHONY: eval
eval: ## tagger checks against the shared labelled corpus (../shared or $$TENSION_SHARED; not needed by make test)
	@bash scripts/eval.sh

# Linters, pinned; `go run pkg@version` fetches them through the module proxy once.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOVULNCHECK := golang.org/x/vuln/cmd/govulncheck@v1.9.0
# The Go vulnerability database, read from a snapshot of its source module
# (the module proxy serves it; vuln.go.dev may be unreachable). Bump the
# version to refresh it, or set VULNDB_URL=https://vuln.go.dev.
VULNDB    := golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018

.PHONY: config-table
config-table: ## regenerate the README configuration table from every command's -print-config
	@cd e2e && TENSION_UPDATE_CONFIG_TABLE=1 $(GO) test -count=1 -run TestConfigTableIsCurrent .

.PHONY: lint
lint: fmt-check vet tidy-check staticcheck vuln ## gofmt, go vet, go mod tidy, staticcheck and govulncheck on every module

.PHONY: staticcheck
staticcheck: ## staticcheck every module, with and without the testhooks and eval build tags
	@for m in $(MODULES); do for tags in "" "testhooks eval"; do \
		(cd $$m && $(GO) run $(STATICCHECK) -tags "$$tags" ./...) || exit 1; done; done

.PHONY: vuln
vuln: ## govulncheck every module (reachable vulnerabilities fail)
	@db=$${VULNDB_URL:-}; if [ -z "$$db" ]; then \
		dir=$$($(GO) mod download -json $(VULNDB) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
		[ -d "$$dir/data/osv" ] || { echo "vuln: could not fetch $(VULNDB)"; exit 1; }; db=file://$$dir/data/osv; fi; \
	for m in $(MODULES); do echo "== govulncheck $$m"; (cd $$m && $(GO) run $(GOVULNCHECK) -db "$$db" ./...) || exit 1; done

.PHONY: vet
vet: ## go vet every module, with and without the testhooks and eval build tags
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./... && $(GO) vet -tags "testhooks eval" ./...) || exit 1; done

.PHONY: fmt-check
fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

.PHONY: fmt
fmt: ## gofmt every file
	@gofmt -w $(MODULES)

.PHONY: tidy
tidy: ## go mod tidy every module
	@for m in $(MODULES); do (cd $$m && $(GO) mod tidy) || exit 1; done

.PHONY: tidy-check
tidy-check: tidy ## fail if go mod tidy changes a go.mod or go.sum
	@git diff --exit-code -- '*go.mod' '*go.sum' >/dev/null || { echo "go mod tidy changed:"; git diff --stat -- '*go.mod' '*go.sum'; exit 1; }

.PHONY: bench
bench: ## Go benchmarks of the hot paths (tagger, validation, journal) — pure CPU, no servers
	@for m in pkg services/sink; do (cd $$m && $(GO) test -run '^$$' -bench . -benchmem ./...) || exit 1; done

# The dashboard's build output is committed (a plain `go build` serves it, no npm needed) and rebuilt only
# here; dist/SOURCES records the hashes of the web/ sources it was built from, and a test in
# services/query/internal/web fails when web/ changed without `make web`.
WEB_DIST := services/query/internal/web/dist

.PHONY: web
web: ## rebuild the dashboard (npm ci + vite) into services/query/internal/web/dist; commit the result
	@command -v npm >/dev/null 2>&1 || { echo "web: npm is needed (apt-get install npm)"; exit 1; }
	@cd web && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build -- --logLevel warn
	@cd web && find . -path ./node_modules -prune -o -type f -print | LC_ALL=C sort | xargs sha256sum > ../$(WEB_DIST)/SOURCES
	@echo "web: built $(WEB_DIST) from $$(wc -l < $(WEB_DIST)/SOURCES) source files"

.PHONY: bench-query
bench-query: ## query API latency on 10M and 1M synthetic articles in ClickHouse dbs tension_bench_query(_1m) (loaded once, reused; see docs/query-api.md)
	@cd services/query && TENSION_INTEGRATION=1 $(GO) test -v -count=1 -run '^$$' -bench QueryAPI -benchtime 30x -timeout 120m ./internal/store/

.PHONY: bench-e2e
bench-e2e: build ## end-to-end throughput and latency with loadgen on the local stack (see README)
	@bash scripts/bench-e2e.sh

.PHONY: bench-memory
bench-memory: build ## peak RSS of ingest, enricher and sink while 2,000 articles of ~0.5 MB (enriched ~1 MB) stream through the pipeline (target <= 1 GiB each)
	@bash scripts/bench-integration.sh e2e IntegrationMemory .

.PHONY: bench-backfill
bench-backfill: build ## backfill into the index: `backfill -synthetic 50000` over two years until the index counts all (TENSION_BENCH_ARTICLES=N, TENSION_BENCH_ORDER_WINDOW=N: 0 = random order)
	@bash scripts/bench-integration.sh e2e IntegrationBackfill .

.PHONY: bench-sink
bench-sink: ## the sink on 100,000 enriched articles from Kafka vs a native insert of the same rows, in one run (TENSION_BENCH_SINK_SPAN=17520h: a two-year backfill; TENSION_BENCH_SINK_ORDER=time: in publication-time order)
	@bash scripts/bench-integration.sh services/sink SinkVsNative ./internal/sink/

.PHONY: bench-lookup
bench-lookup: ## the exactly-once reads of one sink batch (priors, claims) against a journal of 1,000,000 articles, and the ledger's read against 2,000,000 range rows, made in ClickHouse (TENSION_BENCH_LOOKUP_ARTICLES=N, TENSION_BENCH_LEDGER_RANGES=N)
	@bash scripts/bench-integration.sh services/sink 'Integration(Lookup|Ledger)History' ./internal/store/ 5x

.PHONY: bench-enricher
bench-enricher: ## the enricher's path from Kafka to Kafka on 100,000 synthetic raw articles: CPU-s per 100k, allocations, wall (TENSION_BENCH_ENRICHER_COMPRESSION, _ARTICLES, _CPUPROFILE)
	@bash scripts/bench-integration.sh services/enricher IntegrationEnricher ./internal/enrich/

.PHONY: clean
clean: ## remove bin/ (keeps .local/ data; `make down` first, then rm -rf .local to start over)
	rm -rf $(BIN)
