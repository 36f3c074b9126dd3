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

# fuzz: every fuzzer of untrusted bytes for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseFile -fuzztime $(FUZZTIME) ./internal/spec
	$(GO) test -run '^$$' -fuzz FuzzOpen -fuzztime $(FUZZTIME) ./internal/target
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME) ./internal/debuginfo
	$(GO) test -run '^$$' -fuzz FuzzUnitCache -fuzztime $(FUZZTIME) ./internal/debuginfo/raw
	$(GO) test -run '^$$' -fuzz FuzzLoadCache -fuzztime $(FUZZTIME) ./internal/debuginfo/nameindex
	$(GO) test -run '^$$' -fuzz FuzzRead -fuzztime $(FUZZTIME) ./internal/gopclntab
	$(GO) test -run '^$$' -fuzz FuzzRets -fuzztime $(FUZZTIME) ./internal/disasm
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./internal/event
	$(GO) test -run '^$$' -fuzz FuzzChunks -fuzztime $(FUZZTIME) ./internal/event
	$(GO) test -run '^$$' -fuzz FuzzDyn -fuzztime $(FUZZTIME) ./internal/event
	$(GO) test -run '^$$' -fuzz FuzzMap -fuzztime $(FUZZTIME) ./internal/event
	$(GO) test -run '^$$' -fuzz FuzzLosses -fuzztime $(FUZZTIME) ./internal/stap

clean:
	rm -rf bin
