#!/usr/bin/env bash
# Host BPF runtime: stap 4.8 with a private minimal build tree for the running
# kernel (stap checks one on every pass; this machine has none), debugfs, and
# the memlock interposer. $LAB/bin/stap-host runs it.
source "$(dirname "$0")/common.sh"
B=$LAB/host/build
R=$(uname -r)
if ! done_stamp host "$R-v1"; then
	rm -rf "$B" && mkdir -p "$B/include/config"
	if [ -r /proc/config.gz ]; then zcat /proc/config.gz >"$B/.config"; elif [ -r "/boot/config-$R" ]; then cp "/boot/config-$R" "$B/.config"; else : >"$B/.config"; fi
	: >"$B/Module.symvers"
	# Without System.map stap refuses .return probes.
	cp /proc/kallsyms "$B/System.map"
	echo "$R" >"$B/include/config/kernel.release"
	gcc -shared -fPIC -O2 -o "$LAB/host/memlock.so" "$LABSRC/memlock.c"
	stamp host "$R-v1"
fi
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
cat >"$LAB/bin/stap-host" <<EOS
#!/bin/sh
# stap-host: the host's stap with the lab's build tree and memlock interposer.
# Callers pass --runtime=bpf: the kernel runtime cannot load modules here.
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
LD_PRELOAD=$LAB/host/memlock.so exec /usr/bin/stap -r $B "\$@"
EOS
chmod +x "$LAB/bin/stap-host"
