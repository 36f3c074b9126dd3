#!/usr/bin/env bash
# Real-world Go binaries from Debian's archive (bookworm: built by Debian
# with Go 1.19, stripped, PIE, externally linked), unpacked under
# $STAPGEN_LAB/corpus/<package>/, Debian's Go 1.19 toolchain and released
# Go toolchains for the tests' own builds. Idempotent: a warm run checks stamps.
source "$(dirname "$0")/common.sh"
C=$LAB/corpus
PKGS=(docker.io containerd runc)
mkdir -p "$C"
export DEBIAN_FRONTEND=noninteractive
updated=
apt_update() { [ -n "$updated" ] || { apt-get update -qq; updated=1; }; }
for p in "${PKGS[@]}"; do
	v=$(apt-cache policy "$p" | awk '/Candidate:/ {print $2}')
	if [ -z "$v" ] || [ "$v" = "(none)" ]; then
		apt_update
		v=$(apt-cache policy "$p" | awk '/Candidate:/ {print $2}')
	fi
	done_stamp "corpus-$p" "$v" && continue
	log "corpus: $p $v"
	tmp=$(mktemp -d "$C/.dl.XXXXXX") && chmod 755 "$tmp" # apt drops to _apt to download
	(cd "$tmp" && apt-get download -qq "$p=$v")
	rm -rf "${C:?}/$p"
	dpkg-deb -x "$tmp"/*.deb "$C/$p"
	rm -rf "$tmp"
	stamp "corpus-$p" "$v"
done
# golang-1.19-go: /usr/lib/go-1.19/bin/go. Its -src package is a dependency,
# the source of the standard library the corpus daemons were built from.
if ! dpkg -s golang-1.19-go >/dev/null 2>&1; then
	log "installing golang-1.19-go"
	apt_update
	apt-get install -y -qq --no-install-recommends golang-1.19-go >/dev/null
fi
# Released toolchains from the Go module proxy (testenv.OtherGo).
for v in go1.21.13 go1.24.0 go1.27.3; do
	[ -x "$(go env GOMODCACHE)/golang.org/toolchain@v0.0.1-$v.linux-amd64/bin/go" ] || GOTOOLCHAIN=$v go version >/dev/null
done
