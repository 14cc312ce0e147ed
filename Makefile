# Single entry point for building, testing and running the enrich plugin.
# See README.md; `make help` lists the targets.

GO        ?= go
BUILD_DIR ?= build
SO        := $(BUILD_DIR)/out_enrich.so
CLI       := $(BUILD_DIR)/flb-enrich
FUZZTIME  ?= 30s
PURE_PKGS := ./catalog/... ./enrich/... ./forward/... ./output/... ./cmd/...

.PHONY: help all build cli test test-race bench bench-e2e fuzz catalog check-generated lint run clean

help:
	@echo "make run              build everything and enrich the bundled fixtures (through Fluent Bit when installed)"
	@echo "make test             vet, generated-data check, unit + .so tests, race tests"
	@echo "make build            build $(SO) and $(CLI)"
	@echo "make bench            engine, flush and flb-enrich benchmarks (BenchmarkChunk vs BenchmarkBaseline, BenchmarkFlush, BenchmarkEnrichLines)"
	@echo "make bench-e2e        end-to-end CPU benchmark with a real fluent-bit (FLUENT_BIT_BIN)"
	@echo "make fuzz             run every fuzz target for FUZZTIME ($(FUZZTIME)) each"
	@echo "make catalog          regenerate the embedded catalog from catalog/sources"
	@echo "make check-generated  fail if regenerating the catalog changes the committed data"
	@echo "make lint             gofmt and go vet"
	@echo "make clean            remove build output"

all: build

build: $(SO) cli

$(SO): FORCE
	@mkdir -p $(BUILD_DIR)
	CGO_ENABLED=1 $(GO) build -buildmode=c-shared -trimpath -o $(SO) ./plugin
	@./scripts/check-exports.sh $(SO)

cli:
	@mkdir -p $(BUILD_DIR)
	$(GO) build -trimpath -o $(CLI) ./cmd/flb-enrich

FORCE:

test: lint check-generated build
	BUILD_SO=$(abspath $(SO)) $(GO) test -count=1 -timeout 12m ./...
	$(GO) test -count=1 -tags enrichwork -run TestRecogniseLinear ./enrich/
	$(GO) test -count=1 -race -timeout 12m $(PURE_PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s -cpu 1 ./enrich/ ./output/ ./cmd/flb-enrich/

bench-e2e: build
	./scripts/bench-e2e.sh

fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

catalog:
	$(GO) generate ./catalog

check-generated:
	./scripts/check-generated.sh

lint:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './build/*')); \
	if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

run: build
	./scripts/run.sh

clean:
	rm -rf $(BUILD_DIR)
