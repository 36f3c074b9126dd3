#!/usr/bin/env bash
# Real kernel: Debian bookworm's current cloud kernel (image, -dbg vmlinux,
# headers, kbuild), resolved from the metapackages so the ABI number can move.
# vmlinuz/vmlinux/System.map/config go to $LAB/kernel/R; headers and kbuild
# are unpacked into the trixie chroot where stap 5 compiles modules.
source "$(dirname "$0")/common.sh"
ROOT=$LAB/trixie
dep() { apt-cache depends "$1" 2>/dev/null | awk -v p="$2" '$1=="Depends:" && $2 ~ p {print $2; exit}'; }
[ -n "$(apt-cache policy linux-image-cloud-amd64-dbg 2>/dev/null | grep Candidate)" ] || apt-get update -qq
IMG=$(dep linux-image-cloud-amd64 '^linux-image-[0-9]')
R=${IMG#linux-image-}
[ -n "$R" ] || { log "cannot resolve the bookworm cloud kernel from linux-image-cloud-amd64"; exit 1; }
K=$LAB/kernel/$R
if ! done_stamp "kernel-$R" v3; then
	log "fetching kernel $R packages"
	HDR=linux-headers-$R
	COMMON=$(dep "$HDR" '^linux-headers-.*-common')
	KBUILD=$(dep "$HDR" '^linux-kbuild-')
	D=$LAB/debs
	remove_tree "$D"
	mkdir -p "$D" "$K"
	(cd "$D" && apt-get download -q "linux-image-$R" "linux-image-$R-dbg" "$HDR" "$COMMON" "$KBUILD" >/dev/null)
	X=$LAB/debs/x
	dpkg-deb -x "$D"/linux-image-"$R"_*.deb "$X"
	cp "$X/boot/vmlinuz-$R" "$K/vmlinuz"
	cp "$X/boot/config-$R" "$K/config"
	rm -rf "$X"
	dpkg-deb --fsys-tarfile "$D"/linux-image-"$R"-dbg_*.deb |
		tar -xO --wildcards "./usr/lib/debug/boot/vmlinux-$R" >"$K/vmlinux.tmp"
	mv "$K/vmlinux.tmp" "$K/vmlinux"
	# The image package's System.map is a placeholder; stap wants the real one.
	nm -n "$K/vmlinux" | grep -v ' [aNUw] ' >"$K/System.map"
	if [ -d "$ROOT/usr" ]; then
		# Through tar, keeping the chroot's merged-/usr symlinks (/lib -> usr/lib);
		# dpkg-deb -x would replace them with directories.
		for deb in "$D"/linux-headers-*.deb "$D"/linux-kbuild-*.deb; do
			dpkg-deb --fsys-tarfile "$deb" | tar -C "$ROOT" --keep-directory-symlink -x
		done
		mkdir -p "$ROOT/usr/lib/debug/lib/modules/$R" "$ROOT/lib/modules/$R"
		ln -sfn "$K/vmlinux" "$ROOT/usr/lib/debug/lib/modules/$R/vmlinux"
		ln -sfn "/usr/src/linux-headers-$R" "$ROOT/lib/modules/$R/build"
		mkdir -p "$ROOT/boot"
		for m in "$ROOT/boot/System.map-$R" "$ROOT/usr/src/linux-headers-$R/System.map"; do cp "$K/System.map" "$m"; done
	else
		log "no trixie chroot yet: run lab/trixie.sh first"; exit 1
	fi
	rm -rf "$D"
	echo "$R" >"$LAB/kernel/release"
	stamp "kernel-$R" v3
fi
echo "$R" >"$LAB/kernel/release"
