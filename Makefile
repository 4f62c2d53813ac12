# copyfleet: thin entry points; the logic lives in libs/ and scripts/.
#   make load FILE=data.csv|dir/|'glob*.csv'|s3://bucket/prefix/ [RELOAD=1] [TABLE=t] [WORKERS=n] [CHUNK=64MiB] [KEY=a,b] [PARTITION=month] [DATASET=spec.yaml]
#   make load FILE=s3://bucket/prefix/ CLUSTER=1   (through the splitter service in the current kube context; docs/cluster-mode.md)
#   make load DATASET=spec.yaml [DATA=dir] [RELOAD=1]   (a spec with sources: several tables, one run)
#   make test
#   make dashboard                  (runs, chunks, rejects and bull-board on DASHBOARD_PORT, default 3000)
#   make chaos                      (the fault matrix; RELIABILITY.md says what it proves)
#   make chaos-net                  (its network faults only: test hosts in network namespaces, root)
#   make bench [BENCH_BYTES=1GiB] [BENCH_REPEAT=3] [BENCH_SYSTEMS=csv/,taxi/]   (BENCHMARKS.md says what it measures)
.PHONY: help setup build load dashboard test test-unit chaos chaos-net bench down status clean

CLI := node apps/cli/dist/bundle/copyfleet.js

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

setup: ## install dependencies, build, and start PostgreSQL + Redis unless configured
	@bash scripts/setup.sh

build: ## compile the TypeScript workspaces and bundle the command (scripts/bundle.mjs)
	@node_modules/.bin/tsc -b && node scripts/bundle.mjs

load: setup ## load FILE (a file, dir/, 'glob', s3://prefix/) or a DATASET's sources (DATA: their folder) into PostgreSQL (TABLE, WORKERS, CHUNK, KEY, PARTITION, RELOAD=1, TRACE=1, CLUSTER=1)
	@test -n "$(FILE)$(DATASET)" || { echo "usage: make load FILE=path/to/file.csv [TABLE=name] [WORKERS=n] [CHUNK=64MiB] [KEY=col,...] [PARTITION=day|week|month|year|none] [DATASET=spec.yaml], or make load DATASET=spec.yaml [DATA=dir] for a dataset of several tables" >&2; exit 2; }
	@$(if $(TRACE),bash scripts/with-trace.sh) $(CLI) load $(if $(CLUSTER),--cluster) $(if $(FILE),"$(FILE)") $(if $(RELOAD),--reload) $(if $(TABLE),--table "$(TABLE)") $(if $(KEY),--key "$(KEY)") $(if $(PARTITION),--partition "$(PARTITION)") $(if $(DATASET),--dataset "$(DATASET)") $(if $(DATA),--data "$(DATA)")

dashboard: setup ## serve the web dashboard on DASHBOARD_PORT (default 3000; docs/dashboard.md)
	@$(CLI) dashboard

test: setup ## run the test suite against the real PostgreSQL and Redis
	@node_modules/.bin/vitest run

chaos: setup ## the fault matrix: kills, PostgreSQL/Redis restarts and outages, network partitions (root) on private services (~15 min)
	@bash scripts/chaos.sh

chaos-net: setup ## the network faults of the matrix only: partitions between test hosts in network namespaces (root, ~8 min)
	@bash scripts/chaos.sh test/chaos/network

bench: setup ## benchmark copyfleet against psql \copy, DuckDB and a Node script, with issue 15's targets (BENCH_BYTES=1GiB); writes BENCHMARKS.md
	@node_modules/.bin/tsc -b bench
	@BENCH_BYTES="$(BENCH_BYTES)" BENCH_SEED="$(BENCH_SEED)" BENCH_STREAMS="$(BENCH_STREAMS)" BENCH_SYSTEMS="$(BENCH_SYSTEMS)" BENCH_REPEAT="$(BENCH_REPEAT)" BENCH_SMALL_REPEAT="$(BENCH_SMALL_REPEAT)" BENCH_FILES="$(BENCH_FILES)" BENCH_QUIET_WAIT="$(BENCH_QUIET_WAIT)" node bench/dist/main.js

down: ## stop the local PostgreSQL and Redis started by setup
	@bash scripts/services.sh down

status: ## show whether PostgreSQL and Redis are up
	@bash scripts/services.sh status

clean: ## remove build output (keeps .data and reports)
	@node_modules/.bin/tsc -b --clean

# --- example data (examples/README.md) ---------------------------------------------------------
#   make example-data NAME=nike-sales BYTES=10GiB [SEED=1] [OUT=dir]   (default OUT: .data/examples/NAME)
#   make example-check [BYTES=1GiB] [EXAMPLES="nike-sales mobility"]   (each example at BYTES, loaded and counted)
# Then: make load DATASET=examples/NAME/dataset.yaml DATA=OUT
.PHONY: example-data example-check
example-check: setup ## every example generated at BYTES (default 1GiB) and loaded with its spec: loaded + rejected = records, per file
	@BYTES="$(BYTES)" EXAMPLES="$(EXAMPLES)" bash scripts/example-check.sh

example-data: ## generate an example's files at any size (NAME, BYTES, SEED, OUT); writes OUT/manifest.json
	@test -n "$(NAME)" -a -n "$(BYTES)" || { echo "usage: make example-data NAME=topical-chat|openlibrary|trips|nike-sales|mobility BYTES=10GiB [SEED=1] [OUT=dir]" >&2; exit 2; }
	@test -f libs/generate/dist/main.js || node_modules/.bin/tsc -b libs/generate
	@node libs/generate/dist/main.js "$(NAME)" "$(BYTES)" "$(or $(SEED),1)" "$(or $(OUT),.data/examples/$(NAME))"
