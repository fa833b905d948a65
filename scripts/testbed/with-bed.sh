#!/usr/bin/env bash
# with-bed.sh CMD [ARGS...]: starts the test bed, runs CMD with the bed's
# environment (ORDERLOG_KAFKA_BROKERS, ORDERLOG_REDIS_ADDR, ...), stops the bed
# whatever happens, and exits with CMD's status.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -gt 0 ] || die "usage: with-bed.sh CMD [ARGS...]"
here="$(dirname "${BASH_SOURCE[0]}")"

# A bed left over from an interrupted run would hold the ports.
"$here/down.sh"
trap '"$here/down.sh" || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$here/up.sh"
# shellcheck source=/dev/null
source "$ENV_FILE"

t0="$(now)"
rc=0
"$@" || rc=$?
log "'$*' exited $rc after $(since "$t0")"
exit "$rc"
