#!/usr/bin/env bash
# lanes.sh: the whole suite (make test) in two lanes at once. The tests that
# boot the lab VM (named *InVM*, testenv.VMMark) run in one, every other test
# in the other. A VM test spends its time in one qemu under TCG or in one
# module compile, each mostly a single core's work, while the other lane's
# stap runs and builds fill the second core; in one lane the suite took
# their sum. The VM lane's lines are prefixed "vm| ". Exits non-zero when
# either lane fails.
set -uo pipefail
GO=${GO:-go}
mark=InVM # testenv.VMMark
flags=(-count=1 -timeout 75m)
(set -o pipefail; "$GO" test "${flags[@]}" -run "$mark" ./... 2>&1 | sed -u 's/^/vm| /') &
vm=$!
"$GO" test "${flags[@]}" -skip "$mark" ./...
rest=$?
wait "$vm"
vmrc=$?
[ "$rest" -eq 0 ] || echo "lanes: the tests outside the VM failed (exit $rest)" >&2
[ "$vmrc" -eq 0 ] || echo "lanes: the VM tests (named *$mark*) failed (exit $vmrc)" >&2
[ "$rest" -eq 0 ] && [ "$vmrc" -eq 0 ]
