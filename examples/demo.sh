#!/usr/bin/env bash
# make demo: stapgen on the bundled example daemon (examples/mountd) and on
# the lab's real kernel. Every command is printed before it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${STAPGEN_LAB:-/var/cache/stapgen-lab}
STAPGEN=$PWD/bin/stapgen
MOUNTD=/var/tmp/stapgen-demo/mountd
mkdir -p "$(dirname "$MOUNTD")"
go build -o "$MOUNTD" ./examples/mountd
VMLINUX=$LAB/kernel/$(cat "$LAB/kernel/release")/vmlinux

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step "$STAPGEN" show "$MOUNTD" syscall.Mount
step "$STAPGEN" gen --stap "$LAB/bin/stap51" "$MOUNTD" syscall.Mount --return --fields source,target,fstype,data,err -o /var/tmp/stapgen-demo/mount.stp
echo "(script written to /var/tmp/stapgen-demo/mount.stp: $(wc -l </var/tmp/stapgen-demo/mount.stp) lines)"
# The kernel-module runtime, in the lab's VM: arguments, the error returned
# (read at each RET instruction), goroutine ids.
step "$STAPGEN" run --stap "$LAB/bin/stap-vm" -c "$MOUNTD -n 3 -every 10ms" "$MOUNTD" syscall.Mount --return --fields source,target,fstype,data,err --summary
# The BPF runtime, on this host: the same call's arguments, every default
# field, one record per call.
step "$STAPGEN" run --stap "$LAB/bin/stap-host" --runtime bpf -c "$MOUNTD -n 3 -every 10ms" "$MOUNTD" syscall.Mount --format json
# The real Debian kernel: which names the VFS looks up while the guest works.
step "$STAPGEN" show "$VMLINUX" lookup_one_qstr_excl
step "$STAPGEN" run --stap "$LAB/bin/stap-vm" -c "/bin/sh -c 'mkdir /tmp/demo-a && mv /tmp/demo-a /tmp/demo-b && rmdir /tmp/demo-b'" "$VMLINUX" lookup_one_qstr_excl --fields name.name
