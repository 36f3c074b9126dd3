#!/usr/bin/env bash
# Host packages for stapgen, its tests and the lab. apt-get runs only when
# something is missing, so a warm run costs one dpkg query.
source "$(dirname "$0")/common.sh"
PKGS=(systemtap debootstrap qemu-system-x86 busybox-static cpio gcc g++ libc6-dbg make elfutils binutils linux-perf bpftrace bc file time)
missing=()
for p in "${PKGS[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || { log "Go is not on PATH (expected /usr/local/go/bin)"; exit 1; }
