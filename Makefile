# stapgen: build, lab, tests, demo. Every target is idempotent; the lab is
# cached under $(STAPGEN_LAB) (default /var/cache/stapgen-lab).
GO      ?= go
LAB     ?= $(or $(STAPGEN_LAB),/var/cache/stapgen-lab)
BIN     := bin/stapgen
export STAPGEN_LAB := $(LAB)

.PHONY: all build deps lab test test-short demo bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/stapgen

# deps: Debian packages stapgen and its tests use (apt-get runs only when
# something is missing).
deps:
	lab/deps.sh

# lab: the SystemTap lab (host BPF runtime, trixie stap 5.1, Debian cloud
# kernel under qemu); cached, so a second run only checks stamps.
lab: deps
	lab/setup.sh

# test: the whole suite, as CI runs it (CI=true makes lab-dependent tests
# fail instead of skipping when something is missing).
test: lab build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 75m ./...

# test-short: unit tests only, no lab.
test-short:
	$(GO) test -short ./...

# demo: trace the bundled example daemon's syscall.Mount calls with stapgen.
demo: lab build
	examples/demo.sh

bench: lab build
	bench/run.sh

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseFile -fuzztime 30s ./internal/spec

clean:
	rm -rf bin
