#!/usr/bin/env bash
# The whole lab, idempotent and cached under $STAPGEN_LAB
# (default /var/cache/stapgen-lab). A warm run only checks stamps.
source "$(dirname "$0")/common.sh"
t0=$(date +%s)
for step in deps host trixie kernel initramfs corpus coreutils; do
	s=$(date +%s)
	bash "$LABSRC/$step.sh"
	log "$step: $(($(date +%s) - s))s"
done
log "ready in $(($(date +%s) - t0))s: $LAB/bin/{stap-host,stap51,stap-vm}, kernel $(cat "$LAB/kernel/release")"
