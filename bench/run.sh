#!/usr/bin/env bash
# bench/run.sh: stapgen against stap -L, perf probe -V and bpftrace -lv on the
# same inputs, alternating, several rounds; prints medians and ratios.
#
# Inputs: the lab's Debian vmlinux (one kernel function, and a glob) and a
# large Go binary (cmd/go built with DWARF). Usage: bench/run.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
LAB=${STAPGEN_LAB:-/var/cache/stapgen-lab}
STAPGEN=${STAPGEN:-bin/stapgen}
REL=$(cat "$LAB/kernel/release")
VMLINUX="$LAB/kernel/$REL/vmlinux"
GOBIG=${GOBIG:-/var/tmp/stapgen-fixtures/cmdgo}
# A large stripped Go binary (Debian's containerd, lab/corpus.sh), typed from Go source.
STRIPPED=${STRIPPED:-$LAB/corpus/containerd/usr/bin/containerd}
[ -x "$STAPGEN" ] || go build -o "$STAPGEN" ./cmd/stapgen
[ -x "$GOBIG" ] || go build -o "$GOBIG" cmd/go
CACHE=$(mktemp -d)
export XDG_CACHE_HOME=$CACHE

# time_cmd prints the wall seconds of one run of "$@" (output discarded).
time_cmd() {
	local s e
	s=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

declare -A RESULTS
run_case() { # name cmd...
	local name=$1
	shift
	RESULTS[$name]+="$(time_cmd "$@") "
}

STAP_R="$LAB/host/build"
KFUNC=lookup_one_qstr_excl
# Kernel modules: the lab's package tree as a system root (--root), with
# the debug vmlinux where Debian's -dbg package puts it.
SYSROOT=$(mktemp -d)
trap 'rm -rf "$CACHE" "$SYSROOT"' EXIT
mkdir -p "$SYSROOT/usr/lib/debug/boot" "$SYSROOT/usr/lib/debug/lib/modules" "$SYSROOT/lib/modules"
ln -s "$VMLINUX" "$SYSROOT/usr/lib/debug/boot/vmlinux-$REL"
ln -s "$LAB/kernel/$REL/root/usr/lib/debug/lib/modules/$REL" "$SYSROOT/usr/lib/debug/lib/modules/$REL"
ln -s "$LAB/kernel/$REL/root/lib/modules/$REL" "$SYSROOT/lib/modules/$REL"
MODK=(-r "$REL" --root "$SYSROOT")
MFUNC=macvlan_start_xmit
KGLOBS=('ovl_lookup*' 'tcp_v4_*')
# 100 functions of one package of the large Go binary, for gen.
mapfile -t GEN100 < <("$STAPGEN" list "$GOBIG" 'cmd/go/internal/load.*' | awk '{print $1}' | head -100)
for ((i = 0; i < ROUNDS; i++)); do
	rm -rf "$CACHE"/*
	run_case "show-kernel-cold stapgen" "$STAPGEN" show "$VMLINUX" $KFUNC
	run_case "show-kernel-warm stapgen" "$STAPGEN" show "$VMLINUX" $KFUNC
	run_case "show-kernel-nocache stapgen" "$STAPGEN" show --no-cache "$VMLINUX" $KFUNC
	command -v perf >/dev/null && run_case "show-kernel perf-probe-V" perf probe -k "$VMLINUX" -V $KFUNC
	[ -x "$LAB/bin/stap51" ] && run_case "show-kernel stap-L(5.1)" "$LAB/bin/stap51" -r "$REL" -L "kernel.function(\"$KFUNC\")"
	run_case "show-module-cold stapgen" "$STAPGEN" show "${MODK[@]}" module:macvlan $MFUNC
	run_case "show-module-warm stapgen" "$STAPGEN" show "${MODK[@]}" module:macvlan $MFUNC
	[ -x "$LAB/bin/stap51" ] && run_case "show-module stap-L(5.1)" "$LAB/bin/stap51" -r "$REL" -L "module(\"macvlan\").function(\"$MFUNC\")"
	# The first kernel query of a release indexes its modules (cold).
	run_case "list-kernel-modules-cold stapgen" "$STAPGEN" list "${MODK[@]}" kernel "${KGLOBS[@]}"
	run_case "list-kernel-modules-warm stapgen" "$STAPGEN" list "${MODK[@]}" kernel "${KGLOBS[@]}"
	run_case "show-kernel-module-warm stapgen" "$STAPGEN" show "${MODK[@]}" kernel $MFUNC
	if [ "$i" = 0 ] && [ -x "$LAB/bin/stap51" ]; then # vmlinux and every module: seconds
		run_case "list-kernel-modules stap-L(5.1)" "$LAB/bin/stap51" -r "$REL" -L "kernel.function(\"${KGLOBS[0]}\"), kernel.function(\"${KGLOBS[1]}\"), module(\"*\").function(\"${KGLOBS[0]}\"), module(\"*\").function(\"${KGLOBS[1]}\")"
	fi
	run_case "list-go-all-params stapgen" "$STAPGEN" list --params --no-cache "$GOBIG"
	run_case "show-go-one stapgen" "$STAPGEN" show --no-cache "$GOBIG" main.main
	# The function cache (internal/gofncache): the first show stores, the next answers from it.
	run_case "show-go-one-cold stapgen" "$STAPGEN" show "$GOBIG" main.main
	run_case "show-go-one-warm stapgen" "$STAPGEN" show "$GOBIG" main.main
	if [ -x "$STRIPPED" ]; then
		run_case "show-go-stripped-cold stapgen" "$STAPGEN" show "$STRIPPED" 'os.(*File).Write'
		run_case "show-go-stripped-warm stapgen" "$STAPGEN" show "$STRIPPED" 'os.(*File).Write'
	fi
	command -v perf >/dev/null && run_case "show-go-one perf-probe-V" perf probe -x "$GOBIG" -V main.main
	run_case "show-go-one stap-L" stap -r "$STAP_R" -L "process(\"$GOBIG\").function(\"main.main\")"
	if [ "$i" = 0 ]; then # the slow peers once: they take tens of seconds
		run_case "list-go-all-params stap-L" stap -r "$STAP_R" -L "process(\"$GOBIG\").function(\"*\")"
		command -v bpftrace >/dev/null && run_case "list-go-os-params bpftrace-lv" bpftrace -lv "uprobe:$GOBIG:os.*"
	fi
	run_case "list-go-os-params stapgen" "$STAPGEN" list --params --no-cache "$GOBIG" 'os.*'
	run_case "gen-go-100-funcs stapgen" "$STAPGEN" gen --no-cache "$GOBIG" "${GEN100[@]}"
done

# Peak memory (max RSS) of one cold show on the vmlinux, and of one list of
# every Go function with parameters.
rm -rf "$CACHE"/*
RSS_SHOW=$(/usr/bin/time -f %M "$STAPGEN" show "$VMLINUX" $KFUNC 2>&1 >/dev/null | tail -1)
RSS_LIST=$(/usr/bin/time -f %M "$STAPGEN" list --params --no-cache "$GOBIG" 2>&1 >/dev/null | tail -1)

printf "%-34s %-18s %10s\n" case tool "median s"
declare -A MED
for k in "${!RESULTS[@]}"; do
	MED[$k]=$(echo "${RESULTS[$k]}" | tr ' ' '\n' | grep . | median)
done
while IFS= read -r k; do
	printf "%-34s %-18s %10s\n" "${k% *}" "${k##* }" "${MED[$k]}"
done < <(printf '%s\n' "${!MED[@]}" | sort)
echo
echo "ratios (peer / stapgen; >1 means stapgen is faster):"
ratio() { # case-stapgen case-peer
	local a=${MED[$1]:-} b=${MED[$2]:-}
	[ -n "$a" ] && [ -n "$b" ] && printf "  %-60s %8.1fx\n" "$2 vs $1" "$(echo "$b / ($a + 0.0005)" | bc -l)"
	return 0
}
ratio "show-kernel-cold stapgen" "show-kernel perf-probe-V"
ratio "show-kernel-cold stapgen" "show-kernel stap-L(5.1)"
ratio "show-kernel-warm stapgen" "show-kernel stap-L(5.1)"
ratio "show-module-cold stapgen" "show-module stap-L(5.1)"
ratio "show-module-warm stapgen" "show-module stap-L(5.1)"
ratio "show-kernel-module-warm stapgen" "show-module stap-L(5.1)"
ratio "list-kernel-modules-cold stapgen" "list-kernel-modules stap-L(5.1)"
ratio "list-kernel-modules-warm stapgen" "list-kernel-modules stap-L(5.1)"
ratio "show-go-one stapgen" "show-go-one perf-probe-V"
ratio "show-go-one stapgen" "show-go-one stap-L"
ratio "show-go-one-warm stapgen" "show-go-one perf-probe-V"
ratio "show-go-one-warm stapgen" "show-go-one stapgen"
ratio "show-go-stripped-warm stapgen" "show-go-stripped-cold stapgen"
ratio "list-go-all-params stapgen" "list-go-all-params stap-L"
ratio "list-go-os-params stapgen" "list-go-os-params bpftrace-lv"
echo
echo "peak RSS: show on the vmlinux (cold) $((RSS_SHOW / 1024)) MB; list --params of $GOBIG $((RSS_LIST / 1024)) MB"
echo "gen of ${#GEN100[@]} Go functions: median ${MED["gen-go-100-funcs stapgen"]} s"
echo
echo "record decoding to JSON on one core (go test -bench):"
go test ./internal/report -run '^$' -bench DecodeToJSON -benchtime 2s -cpu 1 | awk '/records\/s/ {for (i = 1; i < NF; i++) if ($(i+1) == "records/s") printf "  %.0f records/s\n", $i}'
