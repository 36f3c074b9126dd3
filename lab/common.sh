# Sourced by the lab scripts: paths, stamps, logging.
set -euo pipefail
LAB=${STAPGEN_LAB:-/var/cache/stapgen-lab}
LABSRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$LAB/stamps" "$LAB/bin"
log() { printf 'lab: %s\n' "$*" >&2; }
# done_stamp NAME KEY: true when step NAME already ran with the same KEY.
done_stamp() { [ -f "$LAB/stamps/$1" ] && [ "$(cat "$LAB/stamps/$1")" = "$2" ]; }
stamp() { echo "$2" >"$LAB/stamps/$1"; }
