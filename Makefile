# orderlog: the commands a developer and CI use. See scripts/testbed/README.md
# for the test bed (a real Kafka broker and redis-server) behind `make test`.

SHELL   := bash
GO      ?= go
TESTBED := scripts/testbed

.PHONY: help test test-unit test-brokerchaos deps bed-up bed-down fmt vet build run bench

help:
	@echo "make test       all tests, integration ones on a real Kafka + Redis (installs what is missing)"
	@echo "make test-unit  go test ./... without the bed (integration tests skip)"
	@echo "make test-brokerchaos  the full broker chaos on three brokers: leader kill, controller kill, rolling restart, three runs (~25-30 min on 2 cores)"
	@echo "make bed-up     start Kafka (127.0.0.1:19092) and Redis (127.0.0.1:16379); env in .testbed/env"
	@echo "make bed-down   stop them"
	@echo "make bench      the benchmark on the bed, then the failover runs (e2e/failover); writes docs/performance.md (BENCH_FLAGS=... to tune, BENCH_FAILOVER=0 skips failover)"
	@echo "make fmt | vet | build"

# deps + bed + every test with the race detector; the bed is stopped whatever happens.
test:
	@start=$$(date +%s); rc=0; \
	$(TESTBED)/deps.sh && $(TESTBED)/with-bed.sh $(GO) test -race -count=1 ./... || rc=$$?; \
	echo "make test: exit $$rc after $$(( $$(date +%s) - start ))s"; \
	exit $$rc

test-unit:
	$(GO) test ./...

# The full broker chaos (e2e/brokerchaos): on a three-node cluster of its own
# (scripts/testbed/kafka3.sh), a leader kill, an active-controller kill and a
# rolling restart under load, each run BROKERCHAOS_RUNS times (default 3, in a
# row). `make test` runs only the leader kill, once.
BROKERCHAOS_RUNS ?= 3
test-brokerchaos:
	$(TESTBED)/deps.sh
	ORDERLOG_BROKERCHAOS_FULL=1 $(TESTBED)/with-bed.sh $(GO) test -count=$(BROKERCHAOS_RUNS) -v -timeout 90m \
		-run 'TestBrokerFaultsUnderLoad' ./e2e/brokerchaos

deps:
	$(TESTBED)/deps.sh

bed-up: deps
	$(TESTBED)/up.sh
	@echo "run: source .testbed/env && go test ./..."

bed-down:
	$(TESTBED)/down.sh

fmt:
	$(GO) fmt ./...

vet:
	$(GO) vet ./...

build:
	$(GO) build ./...

# Dev mode: embedded Kafka (kfake) and Redis (miniredis), every role, demo
# orders and a banner; nothing is kept. Ctrl-C stops it.
# Built, then exec'd: Ctrl-C reaches orderd, which stops cleanly, and make
# reports no error (go run exits 1 on an interrupted child).
run:
	@echo "building orderd (the first build on a fresh machine takes a minute or two)..."
	@$(GO) build -o bin/orderd ./cmd/orderd && exec ./bin/orderd --dev $(RUN_FLAGS)

# The benchmark on the test bed, in steady state: the processor beside an
# at-least-once and a transactional pipe (A B C A B C), latency at fixed
# rates, the read side, restore of 1,000,000 states; profiles in
# .testbed/profiles; writes docs/performance.md. About 10-15 minutes on 2
# cores; BENCH_FLAGS=-quick checks the harness in a few.
bench:
	$(TESTBED)/deps.sh
	$(GO) build -o .testbed/orderbench ./cmd/orderbench
	$(TESTBED)/with-bed.sh bash -c 'set -o pipefail; .testbed/orderbench -doc docs/performance.md -profile .testbed/profiles $(BENCH_FLAGS) && \
	  if [ "$(BENCH_FAILOVER)" != 0 ]; then ORDERLOG_FAILOVER_BENCH=1 ORDERLOG_FAILOVER_REPORT=$(CURDIR)/docs/performance.md \
	    $(GO) test -count=1 -v -timeout 20m ./e2e/failover/ | grep -v "created topic"; fi'
