# Switchyard: `make run` starts everything, `make test` runs every test.
# Both install what they need first: `make run` the Debian packages (`make deps-system`) and
# only the binaries it starts (`make build-run`); `make test` also the tests' npm SDKs
# (`make deps`) and every target (`make build`).

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
RUN_DIR ?= .run

# Every Debian 12 package the project builds, tests and runs with.
PACKAGES := cmake ninja-build ccache g++ pkg-config \
	libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev \
	libhiredis-dev redis-server libpqxx-dev libnghttp2-dev libcurl4-openssl-dev libboost1.81-dev libboost-url1.81-dev libsimdjson-dev \
	nlohmann-json3-dev libssl-dev zlib1g-dev libgtest-dev libgmock-dev postgresql-15 curl \
	wrk nginx-light strace python3 python3-yaml tinyproxy microsocks nghttp2-client openssl valgrind
# What only the tests need beyond those: the browser the console's tests drive.
TEST_PACKAGES := chromium

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps deps-system build build-run test test-sanitize helm-lint bench bench-propagation \
	bench-apply bench-inference bench-logs run stop \
	clean

# What `make run` starts; `make build` (and so `make test`) builds every target.
RUN_TARGETS := switchyard-data-plane mock_provider switchyard-control-plane switchyard

# The Debian packages (what make run needs), then the tests' client SDKs (npm).
deps: deps-system
	@$(MAKE) --no-print-directory deps-system PACKAGES="$(TEST_PACKAGES)"
	@# The official SDKs the tests drive (tests/sdk) and the browser driver of the console's
	@# tests (tests/console, puppeteer-core: Debian's chromium, no download), exactly as
	@# their package-lock.json pins them.
	@for dir in tests/sdk tests/console; do \
	  if [ ! -f $$dir/node_modules/.package-lock.json ] || \
	      ! cmp -s $$dir/package-lock.json $$dir/node_modules/.package-lock.json.src; then \
	    (cd $$dir && npm ci --no-audit --no-fund --loglevel=error && \
	     cp package-lock.json node_modules/.package-lock.json.src) || exit 1; \
	  fi; \
	done

deps-system:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	command -v npm > /dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR)

# Only the binaries `make run` starts (no test targets, no npm).
build-run: deps-system $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) --target $(RUN_TARGETS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 900
	$(MAKE) --no-print-directory helm-lint

# The Helm chart: a real helm 3 lints and renders it; the manifests and Dockerfiles are checked
# against the binaries' real flags and ports.
helm-lint: build
	scripts/helm-check.sh $(BUILD_DIR)

# The same tests under AddressSanitizer and UBSan, in a separate build tree.
test-sanitize: deps
	cmake -S . -B $(BUILD_DIR)-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DSWITCHYARD_SANITIZE=ON
	cmake --build $(BUILD_DIR)-sanitize
	cd $(BUILD_DIR)-sanitize && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --output-on-failure --timeout 900

# Benchmarks write their tables into bench/RESULTS.md.
bench: bench-propagation bench-apply bench-inference bench-logs

bench-propagation: build
	cmake --build $(BUILD_DIR) --target propagation_bench
	$(BUILD_DIR)/bin/propagation_bench $(BUILD_DIR)/bin/switchyard-control-plane bench/RESULTS.md

# One config change applied with 10,000 providers loaded (the data plane's log goes to
# /dev/null: one line per applied revision).
bench-apply: build
	cmake --build $(BUILD_DIR) --target apply_bench
	$(BUILD_DIR)/bin/apply_bench bench/RESULTS.md 2> /dev/null

bench-inference: build
	bench/inference.sh $(BUILD_DIR) bench/RESULTS.md

# Request logs (issue 20): throughput with logs on vs off, control-plane ingestion rate, and a
# data plane's memory while its control plane is stopped for 60 s under load.
bench-logs: build
	cmake --build $(BUILD_DIR) --target log_ingest_bench
	bench/logs.sh $(BUILD_DIR) bench/RESULTS.md

run: build-run
	scripts/run.sh $(BUILD_DIR) $(RUN_DIR)

stop:
	scripts/run.sh --stop $(BUILD_DIR) $(RUN_DIR)

clean:
	rm -rf $(BUILD_DIR)
