#!/bin/sh
# gencache.sh: whole-process time of `stapgen gen` of one Go function,
# with the function cache warm, cold (an empty cache directory) and
# bypassed (--no-cache), min and median over ROUNDS runs each, rounds
# interleaved so load changes hit every way alike.
# Usage: bench/gencache.sh STAPGEN ROUNDS BINARY FUNCTION [GEN FLAGS...]
# STAPGEN_BASE=OLD_BINARY adds the old build to the same rounds.
set -eu
S=$1 N=$2 BIN=$3 FN=$4
shift 4
W=${BENCH_WORK:-/tmp/bench-gencache}
mkdir -p "$W"
now() { date +%s.%N; }
one() { # one LABEL XDG STAPGEN ARGS...: time one run into LABEL's file
	label=$1 xdg=$2 s=$3
	shift 3
	t0=$(now)
	XDG_CACHE_HOME=$xdg "$s" gen "$@" "$BIN" "$FN" >/dev/null 2>&1 || true
	echo "$(now) $t0" | awk '{printf "%.4f\n", $1-$2}' >>"$W/$label"
}
ways="new"
[ -n "${STAPGEN_BASE:-}" ] && ways="new base"
rm -f "$W"/*.t
for w in $ways; do
	s=$S
	[ "$w" = base ] && s=$STAPGEN_BASE
	rm -rf "$W/warm-$w" && XDG_CACHE_HOME="$W/warm-$w" "$s" gen "$@" "$BIN" "$FN" >/dev/null 2>&1 || true
done
i=0
while [ $i -lt "$N" ]; do
	for w in $ways; do
		s=$S
		[ "$w" = base ] && s=$STAPGEN_BASE
		one "$w-warm.t" "$W/warm-$w" "$s" "$@"
		rm -rf "$W/cold-$w"
		one "$w-cold.t" "$W/cold-$w" "$s" "$@"
		one "$w-nocache.t" "$W/warm-$w" "$s" --no-cache "$@"
	done
	i=$((i + 1))
done
for f in "$W"/*.t; do
	sort -n "$f" | awk -v n="$(basename "$f" .t)" '{a[NR]=$1} END {printf "%-14s min %.3f s  median %.3f s  (%d runs)\n", n, a[1], a[int((NR+1)/2)], NR}'
done
