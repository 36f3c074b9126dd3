#!/usr/bin/env bash
# bench/ttfe.sh: time to first event. From the command starting to the first
# event line reaching a pipe, for `stapgen run`, a hand-written stap script
# and bpftrace on the same probe (the workloads of bench/workload calling
# their function once). Cold is an empty stap cache (SYSTEMTAP_DIR) and an
# empty stapgen cache (XDG_CACHE_HOME); warm is the same command again.
# stap's compile cache only hits when the script text and options are the
# same: "cache" says whether `stap -v` reported a cached pass 3/4 on the
# warm run (the generated scripts are deterministic, so it should).
#
# Usage: bench/ttfe.sh [host|vm] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
WHERE=${1:-host}
ROUNDS=${2:-3}
# A run that hangs (stapbpf sometimes does not exit) counts as NA.
TMO=${BENCH_TIMEOUT:-60}
source bench/workload.sh
if [ "$WHERE" = host ]; then
	STAP=$LAB/bin/stap-host RT=(--runtime=bpf) SGRT=(--runtime bpf)
else
	STAP=$LAB/bin/stap-vm RT=() SGRT=()
fi
echo "probe process(\"$W/hitc\").function(\"hit\") { printf(\"%d %d %d %d %d %s\\n\", gettimeofday_ns(), cpu(), pid(), tid(), \$n, user_string_n(\$s, 64)) }" >"$W/ttfe-hand.stp"
echo "uprobe:$W/hitc:hit { printf(\"%lld %d %d %d %ld %s\\n\", nsecs, cpu, pid, tid, arg1, str(arg0)); }" >"$W/ttfe.bt"

# first PATTERN CMD...: seconds from now to the first stdout line of CMD
# matching PATTERN (NA if none); the rest of the output is drained.
first() {
	local pat=$1 s
	shift
	s=$(date +%s.%N)
	{ timeout "$TMO" "$@" 2>"$W/ttfe.err" || true; } | {
		if grep -m1 -q -- "$pat"; then echo "$(date +%s.%N) - $s" | bc -l; else echo NA; fi
		cat >/dev/null
	}
}

declare -A T
ways=(stapgen hand)
[ "$WHERE" = host ] && command -v bpftrace >/dev/null && ways+=(bpftrace)
for ((r = 0; r < ROUNDS; r++)); do
	export SYSTEMTAP_DIR=$W/stapdir XDG_CACHE_HOME=$W/xdg
	for way in "${ways[@]}"; do
		# Each way starts cold on its own: what the first run builds into
		# stap's cache (the kernel runtime's uprobes module, for one) would
		# otherwise make the next way's cold run warm.
		rm -rf "$SYSTEMTAP_DIR" "$XDG_CACHE_HOME"
		mkdir -p "$SYSTEMTAP_DIR" "$XDG_CACHE_HOME"
		for temp in cold warm; do
			case $way in
			stapgen) t=$(first '"probe":"hit"' "$STAPGEN" run "${SGRT[@]}" --stap "$STAP" -c "$W/hitc 1" --format json "$W/hitc" hit) ;;
			hand) t=$(first 'the quick brown fox' "$STAP" "${RT[@]}" -c "$W/hitc 1" "$W/ttfe-hand.stp") ;;
			bpftrace) t=$(first 'the quick brown fox' bpftrace -c "$W/hitc 1" "$W/ttfe.bt") ;;
			esac
			T[$temp/$way]+="$t "
			echo "round $r $temp $way: $t s" >&2
		done
	done
done
# Does stap's cache hit for the generated script? Two identical -p4 -v runs.
"$STAPGEN" gen "${SGRT[@]}" "$W/hitc" hit >"$W/ttfe-gen.stp"
timeout "$TMO" "$STAP" "${RT[@]}" -p4 -v "$W/ttfe-gen.stp" >/dev/null 2>&1 || true
cache=$(timeout "$TMO" "$STAP" "${RT[@]}" -p4 -v "$W/ttfe-gen.stp" 2>&1 >/dev/null | grep -i -m1 'cache' || echo "no cache line from stap -v")
range() { tr ' ' '\n' | grep -v '^NA$' | sort -g | awk 'NF {v[++n]=$1} END {if (!n) {print "NA"; exit} printf "%.2f-%.2f (median %.2f)", v[1], v[n], (n%2) ? v[(n+1)/2] : (v[n/2]+v[n/2+1])/2}'; }
printf '%-6s %-9s %s\n' temp way "seconds to first event (min-max)"
for temp in cold warm; do
	for way in "${ways[@]}"; do
		printf '%-6s %-9s %s\n' "$temp" "$way" "$(echo "${T[$temp/$way]}" | range)"
	done
done
echo "stap cache on a repeated generated script: $cache"
