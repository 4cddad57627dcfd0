# certsync: the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
BIN     ?= bin/certsync
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/certsync/certsync/internal/cli.Version=$(VERSION)

.PHONY: build test race lint demo bench bench-e2e fuzz testpki docker clean chaos

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/certsync

# The whole suite, including the race detector on the concurrent packages.
test:
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race ./internal/apply/ ./internal/vendors/... ./internal/sim/ ./internal/state/...

# The fault suite (internal/e2e/chaos) with CHAOS_SEEDS random seeds and more
# rounds under faults: certsync and the simulators in separate processes,
# 5xx, 429 bursts, expired sessions, dropped connections, kill -9 of apply.
# Prints each seed (replay with -chaos.seed=N -chaos.long), the runs it took to converge
# and the duplicates found. `make test` runs its short form (one fixed seed).
CHAOS_SEEDS ?= 3
chaos:
	$(GO) test -count=1 -v -timeout 60m -run '^TestChaos$$' ./internal/e2e/chaos/ -chaos.long -chaos.seed=0 -chaos.seeds=$(CHAOS_SEEDS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Applies inventory.example.yaml to the built-in simulators (fresh state),
# then shows that a second plan has nothing to do (exit 0 = no changes).
demo: build
	rm -rf .certsync/sandbox out
	$(BIN) apply --sandbox --auto-approve -i inventory.example.yaml
	$(BIN) plan --sandbox --detailed-exitcode -i inventory.example.yaml

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

# End to end: the real binary against `certsync sandbox` (a separate process,
# 20 ms per request) over generated items already in their steady state,
# plus applies of CHANGES CCADB field updates on an inventory of their own;
# prints the tables (README, "Performance"). N sets the item counts
# (N=10000), REPORT_ROWS adds other CAs' records to the CCADB report (11000
# is about the real report's size), CHANGES=100,1000,10000 measures apply
# up to 10,000 changes (a few minutes; N= skips the plans).
N           ?= 300,3000
REPORT_ROWS ?= 0
LATENCY     ?= 20ms
CHANGES     ?= 100,1000
bench-e2e: build
	$(GO) run ./internal/e2e/bench -bin $(BIN) -sizes "$(N)" -report-rows $(REPORT_ROWS) -latency $(LATENCY) -changes "$(CHANGES)"

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./internal/inventory/
	$(GO) test -run '^$$' -fuzz FuzzBlocks -fuzztime 30s ./internal/pemutil/

# Regenerates the committed test PKI (public certificates only).
testpki:
	$(GO) run ./internal/testpki/gentestpki -dir testdata/pki

# The image reports VERSION (certsync version); IMAGE names where it is pushed,
# e.g. make docker IMAGE=registry.example.com/certsync && docker push ….
# The module proxy is the one go uses here.
IMAGE ?= certsync
docker:
	docker build --build-arg VERSION=$(VERSION) --build-arg GOPROXY="$$($(GO) env GOPROXY)" -t $(IMAGE):$(VERSION) .

clean:
	rm -rf bin .certsync
