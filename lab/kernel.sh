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
	# The debs stay for the modules step below, which removes them.
	echo "$R" >"$LAB/kernel/release"
	stamp "kernel-$R" v3
fi
echo "$R" >"$LAB/kernel/release"

# Modules, a step of its own after the kernel's: the image package's
# /lib/modules/R (with modules.dep) and the -dbg package's module debug files
# (/usr/lib/debug/lib/modules/R, .build-id), under $K/root. stap-vm copies a
# run's modules from there into the guest; the trixie chroot links them where
# stap -r R looks, so module("NAME") finds its module and debug file by name.
M=$K/root
MODKEY=v1
if ! done_stamp "modules-$R" "$MODKEY"; then
	if [ ! -f "$M/lib/modules/$R/modules.order" ] || [ ! -d "$M/usr/lib/debug/lib/modules/$R/kernel" ]; then
		log "fetching kernel $R modules and their debug files"
		D=$LAB/debs
		if ! ls "$D"/linux-image-"$R"_*.deb "$D"/linux-image-"$R"-dbg_*.deb >/dev/null 2>&1; then
			remove_tree "$D"
			mkdir -p "$D"
			(cd "$D" && apt-get download -q "linux-image-$R" "linux-image-$R-dbg" >/dev/null)
		fi
		remove_tree "$M.tmp"
		mkdir -p "$M.tmp"
		dpkg-deb --fsys-tarfile "$D"/linux-image-"$R"_*.deb | tar -C "$M.tmp" -x "./lib/modules/$R"
		# Module debug files only: the package's vmlinux is the kernel step's.
		dpkg-deb --fsys-tarfile "$D"/linux-image-"$R"-dbg_*.deb |
			tar -C "$M.tmp" -x "./usr/lib/debug/lib/modules/$R" ./usr/lib/debug/.build-id
		remove_tree "$M"
		mv "$M.tmp" "$M"
	fi
	[ -d "$ROOT/usr/sbin" ] || { log "no trixie chroot yet: run lab/trixie.sh first"; exit 1; }
	# depmod is the chroot's (kmod); it sees $M through a bind mount.
	mkdir -p "$ROOT/mnt/stapgen-modules"
	mount --bind "$M" "$ROOT/mnt/stapgen-modules"
	rc=0
	chroot "$ROOT" depmod -b /mnt/stapgen-modules "$R" || rc=$?
	umount "$ROOT/mnt/stapgen-modules"
	[ "$rc" = 0 ] || { log "depmod failed"; exit 1; }
	[ -s "$M/lib/modules/$R/modules.dep" ] || { log "depmod wrote no modules.dep"; exit 1; }
	# The chroot's /lib/modules/R holds build and source (the headers):
	# link the modules and depmod's files beside them. stap51 bind-mounts
	# $LAB/kernel, so these links resolve inside.
	mkdir -p "$ROOT/lib/modules/$R" "$ROOT/usr/lib/debug/lib/modules/$R" "$ROOT/usr/lib/debug/.build-id"
	for f in "$M/lib/modules/$R"/*; do
		ln -sfn "$f" "$ROOT/lib/modules/$R/$(basename "$f")"
	done
	ln -sfn "$M/usr/lib/debug/lib/modules/$R/kernel" "$ROOT/usr/lib/debug/lib/modules/$R/kernel"
	for d in "$M/usr/lib/debug/.build-id"/*; do
		[ -e "$d" ] || continue
		mkdir -p "$ROOT/usr/lib/debug/.build-id/$(basename "$d")"
		for f in "$d"/*; do ln -sfn "$f" "$ROOT/usr/lib/debug/.build-id/$(basename "$d")/$(basename "$f")"; done
	done
	stamp "modules-$R" "$MODKEY"
fi
# The -dbg package's vmlinux where it installs it, so that $K/root is a whole
# system root (stapgen --root $K/root kernel); the module debug tree's
# vmlinux link points there.
mkdir -p "$M/usr/lib/debug/boot"
ln -sfn "$K/vmlinux" "$M/usr/lib/debug/boot/vmlinux-$R"
remove_tree "$LAB/debs"
