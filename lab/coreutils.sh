#!/usr/bin/env bash
# coreutils' ls built from Debian's source package with -g -O2 (what Debian
# builds, debug info kept), for the tutorial's xmalloc-in-`ls -l` proof:
# $STAPGEN_LAB/corpus/coreutils-g/ls (built in $STAPGEN_LAB/coreutils). The source comes from the Debian archive
# (deb-src of the release's own suites, in a sources file of the lab's).
# Idempotent: a stamp keyed by the source version skips a warm run.
source "$(dirname "$0")/common.sh"
D=$LAB/coreutils
export DEBIAN_FRONTEND=noninteractive
SRC=/etc/apt/sources.list.d/stapgen-lab-src.sources
if ! apt-cache showsrc coreutils 2>/dev/null | grep -q '^Version:'; then
	log "coreutils: adding deb-src for bookworm ($SRC)"
	cat >"$SRC" <<SOURCES
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
	apt-get update -qq
fi
v=$(apt-cache showsrc coreutils | awk '/^Version:/ {print $2; exit}')
done_stamp coreutils "$v" && [ -x "$LAB/corpus/coreutils-g/ls" ] && exit 0
log "coreutils: $v (build-dep, source, configure, make src/ls)"
apt-get build-dep -y -qq coreutils >/dev/null
rm -rf "$D" && mkdir -p "$D/src" && chmod 755 "$D/src"
(cd "$D/src" && apt-get source -qq "coreutils=$v" >/dev/null)
top=$(find "$D/src" -mindepth 1 -maxdepth 1 -type d -name 'coreutils-*' | head -1)
# gnulib's generated headers (BUILT_SOURCES) come before any object: only
# `make all` builds them by itself.
(cd "$top" && FORCE_UNSAFE_CONFIGURE=1 ./configure -q CFLAGS="-g -O2" --disable-nls >/dev/null &&
	bs=$(printf 'stapgen-bs:\n\t@echo $(BUILT_SOURCES)\n' | make -s -f Makefile -f - stapgen-bs) &&
	make -s -j2 $bs >/dev/null && make -s -j2 src/ls >/dev/null)
# Under the corpus directory: the lab's trixie chroot and VM see it there.
mkdir -p "$LAB/corpus/coreutils-g"
cp "$top/src/ls" "$LAB/corpus/coreutils-g/ls"
stamp coreutils "$v"
log "coreutils: $LAB/corpus/coreutils-g/ls"
