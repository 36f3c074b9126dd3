#!/usr/bin/env bash
# The guest's base initramfs tree: busybox, and staprun/stapio from the trixie
# chroot with their shared libraries. stap-vm adds the module, the targets
# and /init for each run.
source "$(dirname "$0")/common.sh"
ROOT=$LAB/trixie
BASE=$LAB/initramfs/base
KEY=v3
if ! done_stamp initramfs "$KEY"; then
	remove_tree "$BASE"
	mkdir -p "$BASE"/{bin,sbin,proc,sys,dev,tmp,run,etc,root,usr/lib/systemtap,sys/kernel/debug}
	cp /bin/busybox "$BASE/bin/busybox"
	for a in $("$BASE/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$BASE/bin/$a"; done
	mkdir -p "$BASE/usr/bin"
	cp "$ROOT/usr/bin/staprun" "$BASE/usr/bin/staprun"
	ln -s /usr/bin/staprun "$BASE/bin/staprun"
	cp "$ROOT/usr/lib/systemtap/stapio" "$BASE/usr/lib/systemtap/stapio"
	# The libraries staprun and stapio need, resolved inside the chroot.
	for lib in $(chroot "$ROOT" ldd /usr/bin/staprun /usr/lib/systemtap/stapio | awk '/=>/ {print $3} /^\t\/.*ld-linux/ {print $1}' | sort -u); do
		mkdir -p "$BASE$(dirname "$lib")"
		cp -L "$ROOT$lib" "$BASE$lib"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$BASE/etc/passwd"
	echo "root:x:0:" >"$BASE/etc/group"
	stamp initramfs "$KEY"
fi
install -m 0755 "$LABSRC/stap-vm" "$LAB/bin/stap-vm"
