#!/usr/bin/env bash
# lanes.sh: the whole suite (make test) in three lanes at once. The tests
# that boot the lab VM (named *InVM*, testenv.VMMark) run in two, split by
# name (the Go, aggregate and run ones, then the others: about half the VM's
# time each, measured), every other test in the third. A VM test spends its
# time in one qemu under TCG or in one module compile, each mostly a single
# core's work, so the lanes keep both cores of a CI machine busy; in one
# lane the suite took the sum of its tests (42-48 min here), in two lanes
# the VM tests alone took 25. The VM lanes' lines are prefixed "vm1| " and
# "vm2| ". Exits non-zero when any lane fails, and then ends with each
# failed test's first lines: a CI log is often read from its tail, where
# the three lanes' interleaved "ok" lines would otherwise bury them.
set -uo pipefail
GO=${GO:-go}
mark=InVM # testenv.VMMark
first='^Test(Go|Aggregate|Run)'
flags=(-count=1 -timeout 75m)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
lane() { # lane NAME ARGS...: go test ARGS in the background, lines prefixed
	local name=$1
	shift
	(set -o pipefail; "$GO" test "${flags[@]}" "$@" ./... 2>&1 | tee "$logs/$name" | sed -u "s/^/$name| /") &
}
failures() { # failures NAME: the failed tests of a lane's log, a few lines each
	grep -E -A6 -e '^\s*--- FAIL' -e '^panic:' -e '^FAIL\s' "$logs/$1" | cut -c1-400 | head -60 | sed "s/^/lanes: $1| /" >&2
}
lane vm1 -run "$first.*$mark"
vm1=$!
lane vm2 -run "$mark" -skip "$first"
vm2=$!
"$GO" test "${flags[@]}" -skip "$mark" ./... 2>&1 | tee "$logs/rest"
rest=$?
wait "$vm1"
rc1=$?
wait "$vm2"
rc2=$?
[ "$rest" -eq 0 ] || { failures rest; echo "lanes: the tests outside the VM failed (exit $rest)" >&2; }
[ "$rc1" -eq 0 ] || { failures vm1; echo "lanes: the VM tests named $first*$mark* failed (exit $rc1)" >&2; }
[ "$rc2" -eq 0 ] || { failures vm2; echo "lanes: the other VM tests (named *$mark*) failed (exit $rc2)" >&2; }
[ "$rest" -eq 0 ] && [ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ]
