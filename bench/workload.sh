# bench/workload.sh: what cost.sh and ttfe.sh share, sourced by both: the
# lab, the stapgen under test, a work directory and the two workloads
# (bench/workload) built into it. The caller sets TMO's default first.
LAB=${STAPGEN_LAB:-/var/cache/stapgen-lab}
STAPGEN=${STAPGEN:-$PWD/bin/stapgen}
W=${BENCH_WORK:-/tmp/stapgen-bench}
mkdir -p "$W"
[ -x "$STAPGEN" ] || go build -o "$STAPGEN" ./cmd/stapgen
gcc -g -O2 -o "$W/hitc" bench/workload/hitc.c
go build -o "$W/hitgo" ./bench/workload/hitgo
go build -ldflags='-s -w' -o "$W/hitgo-s" ./bench/workload/hitgo
