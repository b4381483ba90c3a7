# Thin wrapper around CMake. `make` builds into build/, `make test` installs what is
# missing, builds and runs every test, `make demo` runs the whole flow on the testbed.
BUILD     ?= build
BUILD_TYPE ?= RelWithDebInfo
SANITIZE  ?=
WERROR    ?= OFF
# The C compiler for a new build directory (`make unit BUILD=build-clang COMPILER=clang`).
COMPILER  ?=
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DFO_SANITIZE=$(SANITIZE) -DFO_WERROR=$(WERROR) \
	$(if $(COMPILER),-DCMAKE_C_COMPILER=$(COMPILER))

.PHONY: all build deps configure test unit integration analyze format format-check demo bench clean install \
	package image test-package test-image

all: build

deps:
	@./scripts/install-deps.sh

configure:
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

test: deps build format-check
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

unit: build
	@cd $(BUILD) && ctest --output-on-failure -L unit -j $(JOBS)

integration: build
	@cd $(BUILD) && ctest --output-on-failure -L integration -j $(JOBS)

# Static analysis of the program's own code; fails on any finding (scripts/analyze.sh).
analyze: configure
	@./scripts/analyze.sh $(BUILD)

format:
	@./scripts/format.sh fix

format-check:
	@./scripts/format.sh check

# The demo builds quietly: its story is what fixorigin prints (the build's log is kept).
demo: deps
	@mkdir -p $(BUILD); echo "== building fixorigin (log: $(BUILD)/build.log)"; \
	 if ! $(MAKE) --no-print-directory build > $(BUILD)/build.log 2>&1; then \
	     tail -40 $(BUILD)/build.log; exit 1; fi
	@./scripts/demo.sh $(BUILD)

bench: deps build
	@./scripts/bench.sh $(BUILD)

install: build
	@cmake --install $(BUILD)

# The Debian package, build/fixorigin_<version>_<arch>.deb (docs/install.md).
package: build
	@cd $(BUILD) && cpack -G DEB >cpack.log 2>&1 || { cat cpack.log; exit 1; }
	@ls $(BUILD)/fixorigin_*.deb

# The container image of the Containerfile, made offline from Debian's packages with
# mmdebstrap and umoci: build/fixorigin-image (OCI layout), build/fixorigin_*.oci.tar.
image: package
	@./scripts/image.sh $(BUILD)

# Slow, so CI runs them after `make test`: the package installed into a clean Debian 12 root,
# the image's fixorigin run as the image says.
test-package: deps package
	@./tests/deploy/package-test.sh $(BUILD)

test-image: deps image
	@./tests/deploy/image-test.sh $(BUILD)

clean:
	rm -rf $(BUILD)
