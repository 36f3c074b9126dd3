# Sourced by the lab scripts: paths, stamps, logging.
set -euo pipefail
LAB=${STAPGEN_LAB:-/var/cache/stapgen-lab}
LABSRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$LAB/stamps" "$LAB/bin"
log() { printf 'lab: %s\n' "$*" >&2; }
# done_stamp NAME KEY: true when step NAME already ran with the same KEY.
done_stamp() { [ -f "$LAB/stamps/$1" ] && [ "$(cat "$LAB/stamps/$1")" = "$2" ]; }
stamp() { echo "$2" >"$LAB/stamps/$1"; }

# unmount_under DIR: undo the bind mounts stap51 leaves in a chroot (deepest
# first), so that removing DIR can never reach the host's own files.
unmount_under() {
	local d
	awk -v root="$1" '$2 == root || index($2, root "/") == 1 {print $2}' /proc/mounts | sort -r | while read -r d; do
		umount -l "$d" 2>/dev/null || true
	done
}

# remove_tree DIR: rm -rf that stays on DIR's file system after unmounting.
remove_tree() {
	[ -e "$1" ] || return 0
	unmount_under "$1"
	rm -rf --one-file-system "$1"
}
