#!/usr/bin/env bash
# bench/cost.sh: what one probe hit costs the traced program, stapgen's
# generated script against a minimal hand-written stap script and bpftrace
# printing the same values (time, cpu, pid, tid, goid for Go, the int, the
# string), on host BPF (real uprobes) and in the lab VM (kernel runtime under
# TCG: only ratios mean anything there).
#
# The workloads (bench/workload) call a function taking a 51-byte string and
# an int N times and time the loop themselves, so a tracer's start-up and
# tear-down are not counted. Cost per hit = traced ns/call - untraced ns/call.
# The machine is shared: the table gives min-max over ROUNDS, not verdicts.
# "events" is how many records reached the output, of N (stap's BPF runtime
# drops records when its perf buffer overflows).
#
# Usage: bench/cost.sh [host|vm|all] [ROUNDS] [N_HOST] [N_VM]
# With STAPGEN_BASE=PATH another stapgen binary (the one before a change)
# runs as way "base" in the same rounds, and the table adds base/hand:
# under load a before/after pair compares within a round, not across runs.
# With BENCH_GO_STRIP=1 stapgen (and base) trace a stripped build of the Go
# workload (-ldflags=-s -w, types from its source); the hand-written script
# and bpftrace keep the build with DWARF and symbols, which they need.
set -euo pipefail
cd "$(dirname "$0")/.."
WHERE=${1:-host}
ROUNDS=${2:-3}
NH=${3:-20000}
NV=${4:-2000}
# A run that hangs (stapbpf sometimes does not exit) counts as NA.
TMO=${BENCH_TIMEOUT:-300}
# BENCH_LANGS="c" (or "go") runs one workload only.
LANGS=${BENCH_LANGS:-go c}
source bench/workload.sh

# Hand-written scripts: the fewest statements that print the same values.
# Go's arguments come in registers (ABIInternal: s in rax/rbx, n in rcx);
# the goroutine id is g.goid at r14+152, the offset stapgen itself uses
# for this Go version (the hand script would hard-code it too). The BPF
# runtime has no u_register(): there the DWARF names are used, and
# @uregister(14) for g.
hand() { # lang runtime
	case $1/$2 in
	c/kernel) echo "probe process(\"$W/hitc\").function(\"hit\") { printf(\"%d %d %d %d %d %s\\n\", gettimeofday_ns(), cpu(), pid(), tid(), \$n, user_string_n(\$s, 128)) }" ;;
	c/bpf) echo "probe process(\"$W/hitc\").function(\"hit\") { printf(\"%d %d %d %d %d %s\\n\", gettimeofday_ns(), cpu(), pid(), tid(), \$n, user_string_n(\$s, 64)) }" ;;
	go/kernel) echo "probe process(\"$W/hitgo\").function(\"main.Hit\") { printf(\"%d %d %d %d %d %d %s\\n\", gettimeofday_ns(), cpu(), pid(), tid(), user_int64(u_register(\"r14\") + 152), u_register(\"rcx\"), user_string_n(u_register(\"rax\"), u_register(\"rbx\"))) }" ;;
	go/bpf) echo "probe process(\"$W/hitgo\").function(\"main.Hit\") { printf(\"%d %d %d %d %d %d %s\\n\", gettimeofday_ns(), cpu(), pid(), tid(), user_uint64(@uregister(14) + 152), \$n, user_string_n(\$s->str, 64)) }" ;;
	esac
}
bt() { # lang
	case $1 in
	c) echo "uprobe:$W/hitc:hit { printf(\"%lld %d %d %d %ld %s\\n\", nsecs, cpu, pid, tid, arg1, str(arg0)); }" ;;
	go) echo "uprobe:$W/hitgo:\"main.Hit\" { printf(\"%lld %d %d %d %lld %ld %s\\n\", nsecs, cpu, pid, tid, *(uint64*)(reg(\"r14\")+152), reg(\"cx\"), str(reg(\"ax\"), reg(\"bx\"))); }" ;;
	esac
}
fn() { [ "$1" = go ] && echo main.Hit || echo hit; }
bin() { [ "$1" = go ] && echo "$W/hitgo" || echo "$W/hitc"; }

# one RUNTIME LANG WAY N: runs once, prints "ns_per_call events".
one() {
	local rt=$1 lang=$2 way=$3 n=$4 out=$W/out.$rt.$lang.$way stap
	local cmd
	cmd="$(bin "$lang") $n"
	[ "$rt" = bpf ] && stap="$LAB/bin/stap-host --runtime=bpf" || stap="$LAB/bin/stap-vm"
	case $way in
	untraced)
		if [ "$rt" = bpf ]; then timeout "$TMO" $cmd >"$out" 2>&1; else
			# The VM's own untraced speed: a script that probes nothing the loop calls.
			$stap -c "$cmd" -e 'probe begin { print("") }' >"$out" 2>&1 || true
		fi ;;
	stapgen | base)
		local sflag=(--stap "$LAB/bin/stap-vm") sg=$STAPGEN
		[ "$way" = base ] && sg=$STAPGEN_BASE
		[ "$rt" = bpf ] && sflag=(--runtime bpf --stap "$LAB/bin/stap-host")
		local target=("$(bin "$lang")")
		if [ "$lang" = go ] && [ -n "${BENCH_GO_STRIP:-}" ]; then
			target=(--source bench/workload/hitgo "$W/hitgo-s")
			cmd="$W/hitgo-s $n"
		fi
		timeout "$TMO" "$sg" run "${sflag[@]}" -c "$cmd" --format json "${target[@]}" "$(fn "$lang")" >"$out.ev" 2>"$out" || true
		cat "$out.ev" >>"$out" ;;
	hand)
		hand "$lang" "$rt" >"$W/hand.$rt.$lang.stp"
		timeout "$TMO" $stap -c "$cmd" "$W/hand.$rt.$lang.stp" >"$out" 2>&1 || true ;;
	bpftrace)
		bt "$lang" >"$W/bt.$lang.bt"
		timeout "$TMO" bpftrace -c "$cmd" "$W/bt.$lang.bt" >"$out" 2>&1 || true ;;
	esac
	local ns ev
	ns=$(grep -o 'ns_per_call=[0-9.]*' "$out" | head -1 | cut -d= -f2 || true)
	case $way in
	untraced) ev=0 ;;
	stapgen | base) ev=$(grep -c '"site":"entry"' "$out" || true) ;;
	*) ev=$(grep -c 'the quick brown fox' "$out" || true) ;;
	esac
	echo "${ns:-NA} ${ev:-0}"
}

declare -A NS EV
runtimes=()
case $WHERE in host) runtimes=(bpf) ;; vm) runtimes=(kernel) ;; all) runtimes=(bpf kernel) ;; esac
for rt in "${runtimes[@]}"; do
	n=$NH
	[ "$rt" = kernel ] && n=$NV
	ways=(untraced stapgen hand)
	[ -n "${STAPGEN_BASE:-}" ] && ways+=(base)
	[ "$rt" = bpf ] && command -v bpftrace >/dev/null && ways+=(bpftrace)
	for ((r = 0; r < ROUNDS; r++)); do
		for lang in $LANGS; do
			for way in "${ways[@]}"; do
				read -r ns ev < <(one "$rt" "$lang" "$way" "$n")
				NS[$rt/$lang/$way]+="$ns "
				EV[$rt/$lang/$way]+="$ev "
				echo "round $r $rt $lang $way: ns/call=$ns events=$ev/$n" >&2
			done
		done
	done
done

# Report: cost per hit of each way (traced - untraced, same round), min-max
# over the rounds where that way printed every event (a tracer that lost
# records, or whose stapbpf aborted, also stopped paying for them), and the
# ratio stapgen/hand over the rounds where both did.
awk_range() { tr ' ' '\n' | grep -v '^NA$' | sort -g | awk -v f="${1:-%.0f}" 'NF {v[++n]=$1} END {if (!n) {print "NA"; exit} printf f "-" f, v[1], v[n]}'; }
# cost RT LANG WAY ROUND: the per-hit cost of that run, or NA.
cost() {
	local b v e n=$NH
	[ "$1" = kernel ] && n=$NV
	read -ra b <<<"${NS[$1/$2/untraced]}"
	read -ra v <<<"${NS[$1/$2/$3]}"
	read -ra e <<<"${EV[$1/$2/$3]}"
	if [ "${v[$4]}" = NA ] || [ "${b[$4]}" = NA ] || { [ "$3" != untraced ] && [ "${e[$4]}" != "$n" ]; }; then
		echo NA
	else
		echo "${v[$4]} - ${b[$4]}" | bc -l
	fi
}
printf '%-7s %-4s %-9s %20s %16s  %s\n' runtime lang way "ns/call (min-max)" "ns/hit (complete)" "events per round"
for rt in "${runtimes[@]}"; do
	for lang in $LANGS; do
		for way in untraced stapgen base hand bpftrace; do
			[ -n "${NS[$rt/$lang/$way]:-}" ] || continue
			c=""
			for ((r = 0; r < ROUNDS; r++)); do c+="$(cost "$rt" "$lang" "$way" $r) "; done
			printf '%-7s %-4s %-9s %20s %16s  %s\n' "$rt" "$lang" "$way" "$(echo "${NS[$rt/$lang/$way]}" | awk_range)" "$(echo "$c" | awk_range)" "${EV[$rt/$lang/$way]}"
		done
		for way in stapgen base; do
			[ -n "${NS[$rt/$lang/$way]:-}" ] || continue
			ratio=""
			for ((r = 0; r < ROUNDS; r++)); do
				s=$(cost "$rt" "$lang" $way $r)
				h=$(cost "$rt" "$lang" hand $r)
				[ "$s" = NA ] || [ "$h" = NA ] || ratio+="$(echo "$s / $h" | bc -l) "
			done
			printf '%-7s %-4s %s/hand cost ratio %s (rounds where both printed every event)\n' "$rt" "$lang" "$way" "$(echo "$ratio" | awk_range %.2f)"
		done
	done
done
