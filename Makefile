# forecastd: the README's two commands are `make run` and `make test`.
GO       ?= go
BIN      := bin/forecastd
PKGS     := ./...
# make run honours FORECASTD_ADDR and FORECASTD_DATA_DIR (read by the binary).

.PHONY: all build run test check test-browser check-prometheus vet fmt bench accuracy fuzz fuzz-ci clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/forecastd

# make run sets a local API token for writes (printed) and lets reads
# through without one, so the printed URLs work in a browser or curl.
run: build
	@token=$${FORECASTD_API_TOKENS:-$$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}; \
	echo "local API token (needed for uploads, jobs, cancels): $$token"; \
	echo "  curl -H 'Authorization: Bearer $$token' -d '{\"horizon\": 28}' http://$${FORECASTD_ADDR:-127.0.0.1:8080}/v1/jobs"; \
	FORECASTD_API_TOKENS=$$token FORECASTD_PUBLIC_READS=$${FORECASTD_PUBLIC_READS:-1} FORECASTD_DEMO=1 \
	FORECASTD_LOG_FORMAT=$${FORECASTD_LOG_FORMAT:-text} exec ./$(BIN) serve

# Linters at pinned versions, fetched by go run from the module proxy (no
# install step): staticcheck, and errcheck with the writes to a terminal
# or report listed in .errcheck-excludes as the only errors let go.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
ERRCHECK    ?= $(GO) run github.com/kisielk/errcheck@v1.30.0

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

# make check: gofmt, go vet, staticcheck and errcheck, all clean.
check: vet
	$(STATICCHECK) $(PKGS)
	$(ERRCHECK) -exclude .errcheck-excludes $(PKGS)

test: check
	$(GO) test -count=1 -timeout 9m $(PKGS)

# The dashboard in headless Chromium (apt-get install chromium) over the demo.
test-browser: build
	bash scripts/test-browser.sh

# promtool (apt-get install prometheus) on /metrics, the Prometheus config
# and the Grafana dashboard's queries.
check-prometheus: build
	bash scripts/check-prometheus.sh

# Benchmarks and peer comparisons (need R and Debian's Python packages;
# see bench/README.md).
bench: build
	bash bench/run.sh

# Accuracy on held-out data beside the published M4 figures (reads ../shared/data).
accuracy:
	$(GO) run ./bench/accuracy -set both

# Fuzzing beyond the seed corpora that make test runs: every fuzz target
# in the repository (every func Fuzz* of a _test.go file), one after the
# other, for FUZZTIME each. make fuzz-ci is CI's bounded run (.ci/run):
# 9 targets x 50,000 executions, about a minute with the builds on 2
# cores. CI's budget is a count, not a duration: with a duration the Go
# fuzzing coordinator races its own deadline on a loaded machine and
# fails a target with a bare "context deadline exceeded" and no input
# (golang/go#75804, seen in CI on FuzzParseNDJSON). A failing
# input is written to the package's testdata/fuzz, where make test then
# replays it.
FUZZTIME ?= 60s
FUZZ_CI_TIME ?= 50000x
define run-fuzz
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
		for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "fuzz $$(dirname $$f) $$fn for $(1)"; \
			$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(1) $$(dirname $$f)/; \
		done; \
	done
endef
fuzz:
	$(call run-fuzz,$(FUZZTIME))
fuzz-ci:
	$(call run-fuzz,$(FUZZ_CI_TIME))

clean:
	rm -rf bin
