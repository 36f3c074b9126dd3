#!/usr/bin/env bash
# bench/ttfe.sh: time to first event. From the command starting to the first
# event reaching stapgen's output (for stapgen) or stap's -o file (for a
# hand-written stap script), and to bpftrace's first line, on the same probe
# (the workloads of bench/workload calling their function once). Cold is an
# empty stap cache (SYSTEMTAP_DIR) and an empty stapgen cache
# (XDG_CACHE_HOME), each way its own; warm is the same command again.
#
# Where: host (BPF runtime, stap 4.8), vm (the lab VM's kernel runtime,
# stap 5.1 under qemu TCG: only differences mean anything), or all (both
# tables). Every stap runs with -v, and the table gives each pass's
# milliseconds as stap reported them (medians), whether pass 3/4 came from
# stap's cache, the time outside passes 1-4 (for the VM: booting the
# guest, loading the module, running the command) and pass 4's CPU time.
#
# The hand-written script writes to a file (-o) that is followed, as
# stapgen follows its own: stap-vm passes stdout only when the guest has
# powered off, -o FILE as the module writes it.
#
# With STAPGEN_BASE=PATH another stapgen binary (the one before a change)
# runs as way "base" in the same rounds: under load a before/after pair
# compares within a round, not across runs.
#
# Usage: bench/ttfe.sh [host|vm|all] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
WHERE=${1:-host}
ROUNDS=${2:-3}
# A run that hangs (stapbpf sometimes does not exit after its command)
# ends after this many seconds; a VM run under load takes minutes.
TMO=${BENCH_TIMEOUT:-}
[ -n "$TMO" ] || { [ "$WHERE" = host ] && TMO=60 || TMO=300; }
source bench/workload.sh
echo "probe process(\"$W/hitc\").function(\"hit\") { printf(\"%d %d %d %d %d %s\\n\", gettimeofday_ns(), cpu(), pid(), tid(), \$n, user_string_n(\$s, 64)) }" >"$W/ttfe-hand.stp"
echo "uprobe:$W/hitc:hit { printf(\"%lld %d %d %d %ld %s\\n\", nsecs, cpu, pid, tid, arg1, str(arg0)); }" >"$W/ttfe.bt"

# stapof RUNTIME: the stap of that runtime and its flags for stap, stapgen.
stapof() {
	case $1 in
	bpf) STAP=$LAB/bin/stap-host RT=(--runtime=bpf) SGRT=(--runtime bpf) ;;
	kernel) STAP=$LAB/bin/stap-vm RT=() SGRT=() ;;
	esac
}

# first PATTERN CMD...: seconds from now to the first stdout line of CMD
# matching PATTERN (NA if none); the rest of the output is drained. stderr
# goes to $W/ttfe.err.
first() {
	local pat=$1 s
	shift
	s=$(date +%s.%N)
	{ timeout "$TMO" "$@" 2>"$W/ttfe.err" || true; } | {
		if grep -m1 -q -- "$pat"; then echo "$(date +%s.%N) - $s" | bc -l; else echo NA; fi
		cat >/dev/null
	}
}

# firstfile PATTERN FILE CMD...: the same for a CMD writing FILE (stap -o),
# polled every 20 ms.
firstfile() {
	local pat=$1 f=$2 s t=NA pid
	shift 2
	: >"$f"
	s=$(date +%s.%N)
	timeout "$TMO" "$@" >/dev/null 2>"$W/ttfe.err" &
	pid=$!
	while :; do
		if grep -q -- "$pat" "$f" 2>/dev/null; then t=$(echo "$(date +%s.%N) - $s" | bc -l); break; fi
		kill -0 "$pid" 2>/dev/null || { grep -q -- "$pat" "$f" && t=$(echo "$(date +%s.%N) - $s" | bc -l); break; }
		sleep 0.02
	done
	wait "$pid" || true
	echo "$t"
}

# passes: stap -v's pass times in $W/ttfe.err, "P1 P2 P3 P4 CACHED P4CPU"
# (ms; CACHED is 1 when pass 3 or 4 came from stap's cache, else 0;
# P4CPU is pass 4's user+system CPU, gcc's work: under load the wall
# time mostly measures the other processes).
passes() {
	awk '/^Pass [1-4]:/ {n = substr($2, 1, 1); ms = 0; if (match($0, /[0-9]+real ms/)) ms = substr($0, RSTART, RLENGTH - 7) + 0; t[n] = ms}
		/^Pass 4:/ && match($0, /[0-9]+usr\/[0-9]+sys/) {split(substr($0, RSTART, RLENGTH), u, /usr\/|sys/); cpu = u[1] + u[2]}
		/^Pass [34]: using cached/ {c = 1}
		END {printf "%d %d %d %d %d %d\n", t[1], t[2], t[3], t[4], c, cpu}' "$W/ttfe.err"
}

declare -A T P
runtimes=()
case $WHERE in host) runtimes=(bpf) ;; vm) runtimes=(kernel) ;; all) runtimes=(bpf kernel) ;; esac
for rt in "${runtimes[@]}"; do
	stapof "$rt"
	ways=(stapgen hand)
	[ -n "${STAPGEN_BASE:-}" ] && ways+=(base)
	[ "$rt" = bpf ] && command -v bpftrace >/dev/null && ways+=(bpftrace)
	for ((r = 0; r < ROUNDS; r++)); do
		export SYSTEMTAP_DIR=$W/stapdir XDG_CACHE_HOME=$W/xdg
		for way in "${ways[@]}"; do
			# Each way starts cold on its own: what the first run builds into
			# stap's cache (the autoconf header, a typequery module) would
			# otherwise make the next way's cold run warm.
			rm -rf "$SYSTEMTAP_DIR" "$XDG_CACHE_HOME"
			mkdir -p "$SYSTEMTAP_DIR" "$XDG_CACHE_HOME"
			for temp in cold warm; do
				: >"$W/ttfe.err"
				case $way in
				stapgen | base)
					sg=$STAPGEN
					[ "$way" = base ] && sg=$STAPGEN_BASE
					t=$(first '"probe":"hit"' "$sg" run "${SGRT[@]}" --stap "$STAP" --verbose --stap-arg -v -c "$W/hitc 1" --format json "$W/hitc" hit) ;;
				hand) t=$(firstfile 'the quick brown fox' "$W/ttfe-hand.out" "$STAP" "${RT[@]}" -v -o "$W/ttfe-hand.out" -c "$W/hitc 1" "$W/ttfe-hand.stp") ;;
				bpftrace) t=$(first 'the quick brown fox' bpftrace -c "$W/hitc 1" "$W/ttfe.bt") ;;
				esac
				T[$rt/$temp/$way]+="$t "
				p=$(passes)
				P[$rt/$temp/$way]+="$p,"
				echo "round $r $rt $temp $way: $t s (pass 1-4 ms, cached: $p)" >&2
			done
		done
	done
done

# What each way compiles: the script stapgen ran (captured by a stand-in
# stap), its module's size and what stap's pass 2 counted, with a warm
# cache (no autoconf, no typequery).
capture() { # STAPGEN RUNTIME -> path of the script it runs with -c
	local sg=$1 cap=$W/ttfe-cap
	mkdir -p "$cap"
	cat >"$cap/stap" <<EOF
#!/bin/sh
case " \$* " in *" -V "*) exec $STAP -V ;; esac
for a in "\$@"; do case \$a in *.stp) cp "\$a" "$cap/script.stp" ;; esac; done
EOF
	chmod +x "$cap/stap"
	"$sg" run "${SGRT[@]}" --stap "$cap/stap" -c "$W/hitc 1" --format json "$W/hitc" hit >/dev/null 2>&1 || true
	echo "$cap/script.stp"
}
modinfo() { # SCRIPT NAME -> "BYTES functions-line"
	local d=$W/ttfe-mod/$2 m
	rm -rf "$d" && mkdir -p "$d"
	# stap-vm drops -m (the guest names the module); its compiler is stap51.
	local c=("$STAP" "${RT[@]}")
	[ "$STAP" = "$LAB/bin/stap-vm" ] && c=("$LAB/bin/stap51" -r "$(cat "$LAB/kernel/release")")
	m=$( (cd "$d" && timeout "$TMO" "${c[@]}" -p4 -v -m "$2" "$1" 2>&1 >/dev/null) | sed -n 's/^Pass 2: analyzed script: \(.*\) using .*/\1/p')
	# The C that gcc compiles in pass 4 (stap -p3), beside the headers
	# both ways include.
	local lines=""
	[ "$STAP" = "$LAB/bin/stap-vm" ] && lines="$(cd "$d" && timeout "$TMO" "${c[@]}" -p3 "$1" 2>/dev/null | wc -l) lines of C, "
	echo "$(stat -c %s "$d/$2".* 2>/dev/null | head -1 || echo NA) bytes, $lines$m"
}

median() { tr ' ' '\n' | grep -v '^NA$' | sort -g | awk 'NF {v[++n]=$1} END {if (!n) {print "NA"; exit} printf "%.0f", (n%2) ? v[(n+1)/2] : (v[n/2]+v[n/2+1])/2}'; }
range() { tr ' ' '\n' | grep -v '^NA$' | sort -g | awk 'NF {v[++n]=$1} END {if (!n) {print "NA"; exit} printf "%.2f-%.2f (median %.2f)", v[1], v[n], (n%2) ? v[(n+1)/2] : (v[n/2]+v[n/2+1])/2}'; }
for rt in "${runtimes[@]}"; do
	stapof "$rt"
	echo "== $rt runtime ($STAP), $ROUNDS rounds"
	printf '%-5s %-9s %-32s %s\n' temp way "s to first event (min-max)" "median ms: pass1 pass2 pass3 pass4 rest; pass 3/4 cached; pass 4 CPU ms (min-max)"
	for temp in cold warm; do
		for way in stapgen base hand bpftrace; do
			[ -n "${T[$rt/$temp/$way]:-}" ] || continue
			col() { echo "${P[$rt/$temp/$way]}" | tr ',' '\n' | awk -v c="$1" 'NF {print $c}' | tr '\n' ' ' | median; }
			rest=""
			read -ra ts <<<"${T[$rt/$temp/$way]}"
			IFS=, read -ra ps <<<"${P[$rt/$temp/$way]}"
			for i in "${!ts[@]}"; do
				read -r a b c d _ <<<"${ps[$i]}"
				[ "${ts[$i]}" = NA ] || rest+="$(echo "${ts[$i]} * 1000 - $a - $b - $c - $d" | bc -l) "
			done
			cached=$(echo "${P[$rt/$temp/$way]}" | tr ',' '\n' | awk 'NF && $5 {c++} NF {n++} END {printf "%d/%d", c, n}')
			cpu=$(echo "${P[$rt/$temp/$way]}" | tr ',' '\n' | awk 'NF {print $6}' | tr '\n' ' ' | tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NF {v[++n]=$1} END {if (n) printf "%d (%d-%d)", (n%2) ? v[(n+1)/2] : (v[n/2]+v[n/2+1])/2, v[1], v[n]}')
			if [ "$way" = bpftrace ]; then pass="-"; else pass="$(col 1) $(col 2) $(col 3) $(col 4) $(echo "$rest" | median); $cached; $cpu"; fi
			printf '%-5s %-9s %-32s %s\n' "$temp" "$way" "$(echo "${T[$rt/$temp/$way]}" | range)" "$pass"
		done
	done
	[ "$rt" = kernel ] && echo "(stap-vm compiles with -m NAME, which turns stap's cache off: no kernel-runtime run in the VM can hit it)"
	echo "module (stap -p4, warm cache):"
	echo "  hand     $(modinfo "$W/ttfe-hand.stp" ttfe_hand)"
	cp "$(capture "$STAPGEN")" "$W/ttfe-gen.stp"
	echo "  stapgen  $(modinfo "$W/ttfe-gen.stp" ttfe_gen)"
	if [ -n "${STAPGEN_BASE:-}" ]; then
		cp "$(capture "$STAPGEN_BASE")" "$W/ttfe-base.stp"
		echo "  base     $(modinfo "$W/ttfe-base.stp" ttfe_base)"
	fi
done
