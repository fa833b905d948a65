#!/usr/bin/env bash
# Stops the test bed started by up.sh: Kafka, redis-server, the Redis
# Cluster and the registry, found by their pid files. Asks politely first, then kills what is left. Safe to run when
# nothing is running. Keeps the logs in $BED_DIR for a look afterwards.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# stop NAME PIDFILE GRACE_SECONDS
stop() {
	local name="$1" pidfile="$2" grace="$3" pid
	if ! pid_alive "$pidfile"; then
		rm -f "$pidfile"
		return
	fi
	pid="$(cat "$pidfile")"
	local t0 deadline=$((SECONDS + grace))
	t0="$(now)"
	kill -TERM "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do
		if [ $SECONDS -ge $deadline ]; then
			log "$name (pid $pid) still running after ${grace}s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	rm -f "$pidfile"
	log "$name stopped (pid $pid) in $(since "$t0")"
}

main() {
	stop redis "$REDIS_DIR/redis.pid" 10 &
	"$(dirname "${BASH_SOURCE[0]}")/redis-cluster.sh" stop "$REDIS_CLUSTER_DIR" &
	stop kafka "$KAFKA_DIR/kafka.pid" 30 &
	"$(dirname "${BASH_SOURCE[0]}")/registry.sh" stop &
	wait
	rm -f "$ENV_FILE"
}

main "$@"
