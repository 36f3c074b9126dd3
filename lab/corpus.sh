#!/usr/bin/env bash
# Real-world Go binaries from Debian's archive (bookworm: built by Debian
# with Go 1.19, stripped, PIE, externally linked), unpacked under
# $STAPGEN_LAB/corpus/<package>/, Debian's Go 1.19 toolchain and Go 1.27
# for the tests' own builds. Idempotent: a warm run checks stamps.
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
# A Go newer than the host's, from the Go module proxy (testenv.NextGo).
GONEXT=go1.27.3
[ -x "$(go env GOMODCACHE)/golang.org/toolchain@v0.0.1-$GONEXT.linux-amd64/bin/go" ] || GOTOOLCHAIN=$GONEXT go version >/dev/null
