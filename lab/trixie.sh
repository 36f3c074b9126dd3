#!/usr/bin/env bash
# Modern stap: a Debian trixie chroot with systemtap 5.x and the compilers the
# Debian bookworm kernel's modules need (gcc-12). $LAB/bin/stap51 runs it.
source "$(dirname "$0")/common.sh"
ROOT=$LAB/trixie
KEY=v1
if ! done_stamp trixie "$KEY"; then
	log "debootstrap trixie (about a minute)"
	remove_tree "$ROOT"
	debootstrap --variant=minbase trixie "$ROOT" http://deb.debian.org/debian >"$LAB/debootstrap.log" 2>&1 ||
		{ tail -20 "$LAB/debootstrap.log" >&2; exit 1; }
	cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
	chroot "$ROOT" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
		'apt-get update -qq && apt-get install -y -qq --no-install-recommends systemtap systemtap-runtime gcc gcc-12 make libelf-dev libc6-dev kmod >/dev/null' ||
		{ log "apt-get in the chroot failed"; exit 1; }
	stamp trixie "$KEY"
fi
install -m 0755 "$LABSRC/stap-chroot" "$LAB/bin/stap51"
