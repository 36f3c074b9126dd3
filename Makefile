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
# fail instead of skipping when something is missing); the VM's tests run
# beside the others (lab/lanes.sh).
test: lab build
	$(GO) vet ./...
	GO=$(GO) lab/lanes.sh

# test-short: unit tests only, no lab.
test-short:
	$(GO) test -short ./...

# demo: trace the bundled example daemon's syscall.Mount calls with stapgen.
demo: lab build
	examples/demo.sh

bench: lab build
	bench/run.sh

# fuzz: every fuzzer of untrusted bytes for FUZZTIME each. Go minimizes
# each new input for up to a minute by default (O(n^2) runs of it), with
# the fuzzer at 0 execs/s meanwhile: FUZZMIN bounds that.
FUZZTIME ?= 30s
FUZZMIN ?= 5s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseFile -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/spec
	$(GO) test -run '^$$' -fuzz FuzzOpen -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/target
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/debuginfo
	$(GO) test -run '^$$' -fuzz FuzzUnitCache -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/debuginfo/raw
	$(GO) test -run '^$$' -fuzz FuzzLoadCache -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/debuginfo/nameindex
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/gofncache
	$(GO) test -run '^$$' -fuzz FuzzRead -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/gopclntab
	$(GO) test -run '^$$' -fuzz FuzzRets -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/disasm
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/event
	$(GO) test -run '^$$' -fuzz FuzzChunks -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/event
	$(GO) test -run '^$$' -fuzz FuzzDyn -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/event
	$(GO) test -run '^$$' -fuzz FuzzMap -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/event
	$(GO) test -run '^$$' -fuzz FuzzLosses -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/stap

clean:
	rm -rf bin
