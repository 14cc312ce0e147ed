# Single entry point for building, testing and running the enrich plugin.
# See README.md; `make help` lists the targets.

GO        ?= go
BUILD_DIR ?= build
SO        := $(BUILD_DIR)/out_enrich.so
SO_ARM64  := $(BUILD_DIR)/arm64/out_enrich.so
CLI       := $(BUILD_DIR)/flb-enrich
DIST_DIR  ?= dist
# The release: the nearest tag, or the commit, from git.
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/enrich-plugin/enrich/version.Version=$(VERSION)
HOSTARCH  := $(shell $(GO) env GOHOSTARCH)
FUZZTIME  ?= 30s
SOAK_DURATION ?= 5m
PURE_PKGS := ./catalog/... ./enrich/... ./forward/... ./output/... ./cmd/... ./internal/... ./report/...

.PHONY: help all build cli dist test soak bench bench-e2e fuzz catalog check-generated lint run clean

help:
	@echo "make run              build everything and enrich the bundled fixtures (through Fluent Bit when installed)"
	@echo "make test             vet, generated-data check, unit + .so tests, race tests"
	@echo "make build            build $(SO) and $(CLI)"
	@echo "make dist             release files for linux/amd64 and linux/arm64 in $(DIST_DIR)/, with SHA256SUMS"
	@echo "make bench            engine, flush and flb-enrich benchmarks (BenchmarkChunk vs BenchmarkBaseline, BenchmarkFlush, BenchmarkEnrichLines)"
	@echo "make bench-e2e        end-to-end CPU benchmark with a real fluent-bit (FLUENT_BIT_BIN)"
	@echo "make soak             the soak test, SOAK_DURATION ($(SOAK_DURATION)) for each of its two sinks; make test runs it for 10s each"
	@echo "make fuzz             run every fuzz target for FUZZTIME ($(FUZZTIME)) each"
	@echo "make catalog          regenerate the embedded catalog from catalog/sources"
	@echo "make check-generated  fail if regenerating the catalog changes the committed data"
	@echo "make lint             gofmt and go vet"
	@echo "make clean            remove build output"

all: build

build: $(SO) cli

$(SO): FORCE
	./scripts/build-so.sh $(HOSTARCH) $(SO) $(VERSION)
	@./scripts/check-exports.sh $(SO)

$(SO_ARM64): FORCE
	./scripts/build-so.sh arm64 $(SO_ARM64) $(VERSION)
	@./scripts/check-exports.sh $(SO_ARM64)

cli:
	@mkdir -p $(BUILD_DIR)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(CLI) ./cmd/flb-enrich

# One .so and one static flb-enrich per architecture, named with the version.
dist:
	rm -rf $(DIST_DIR) && mkdir -p $(DIST_DIR)
	for arch in amd64 arm64; do \
	  ./scripts/build-so.sh $$arch $(DIST_DIR)/out_enrich-$(VERSION)-linux-$$arch.so $(VERSION) && \
	  ./scripts/check-exports.sh $(DIST_DIR)/out_enrich-$(VERSION)-linux-$$arch.so && \
	  rm -f $(DIST_DIR)/out_enrich-$(VERSION)-linux-$$arch.h && \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
	    -o $(DIST_DIR)/flb-enrich-$(VERSION)-linux-$$arch ./cmd/flb-enrich || exit 1; \
	done
	cd $(DIST_DIR) && sha256sum out_enrich-* flb-enrich-* > SHA256SUMS && cat SHA256SUMS

FORCE:

test: lint check-generated build $(SO_ARM64)
	BUILD_SO='$(abspath $(SO))' BUILD_SO_ARM64='$(abspath $(SO_ARM64))' $(GO) test -count=1 -timeout 12m ./...
	$(GO) test -count=1 -tags enrichwork -run 'TestRecogniseLinear|TestSignaturesSharingPrefixes' ./enrich/
	$(GO) test -count=1 -race -timeout 12m $(PURE_PKGS)

soak: build
	BUILD_SO='$(abspath $(SO))' ENRICH_SOAK_DURATION=$(SOAK_DURATION) $(GO) test -count=1 -timeout 70m -run TestSoak -v ./test/e2e/

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
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './build/*')) || exit 1; \
	if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

run: build
	./scripts/run.sh

clean:
	rm -rf $(BUILD_DIR) $(DIST_DIR)
