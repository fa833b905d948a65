#!/usr/bin/env bash
# kafka3.sh: a three-node Apache Kafka cluster on loopback, as production
# lays it out (replication factor 3, min.insync.replicas 2), for the broker
# chaos tests (e2e/brokerchaos) and the production recipe of
# docs/operations.md.
#
#   kafka3.sh start DIR PORT          nodes on PORT..PORT+2, controllers PORT+3..PORT+5
#   kafka3.sh start DIR B1 B2 B3 C1 C2 C3
#   kafka3.sh stop DIR                every node (TERM, then KILL)
#   kafka3.sh kill DIR N              kill -9 node N (1..3)
#   kafka3.sh restart DIR N           start node N again on its data; waits
#                                     until it is registered and every
#                                     partition's replicas are in sync
#   kafka3.sh term DIR N              stop node N cleanly (SIGTERM; waits)
#
# Three combined KRaft nodes (process.roles=broker,controller) with a static
# quorum (controller.quorum.voters): the fewest JVMs that give both a
# replicated log and a controller quorum that survives one loss. Killing the
# active controller thus also kills a broker; the tests say which they
# meant. Each JVM has a heap of at most ORDERLOG_KAFKA3_HEAP (512m): the
# bed's machine has 2 cores and is shared.
#
# start formats DIR/node-N from empty, starts the three JVMs, waits until
# all three brokers are registered with an active controller, writes
# DIR/env (ORDERLOG_KAFKA3_BROKERS, ORDERLOG_KAFKA3_DIR) and prints the
# broker list (host:port,...) on stdout.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HEAP="${ORDERLOG_KAFKA3_HEAP:-512m}"
# Three JVMs booting on a shared two-core machine: give them time.
START_TIMEOUT="${ORDERLOG_KAFKA_START_TIMEOUT:-240}"
# How soon the controller fences a silent broker and moves its leaderships
# (Kafka's defaults: 9 s and 2 s). Short, as the failover tests measure it.
BROKER_SESSION_MS="${ORDERLOG_KAFKA3_BROKER_SESSION_MS:-4000}"

usage() { die "usage: kafka3.sh start DIR PORT | start DIR B1 B2 B3 C1 C2 C3 | stop DIR | kill DIR N | restart DIR N | term DIR N"; }

# ports DIR sets B (brokers) and C (controllers) from DIR/ports.
load_ports() {
	[ -s "$1/ports" ] || die "$1/ports missing: was the cluster started with kafka3.sh start $1 ...?"
	read -r -a P <"$1/ports"
	B=("${P[@]:0:3}")
	C=("${P[@]:3:3}")
}

write_node_config() {
	local dir="$1" n="$2" voters="$3" i=$(($2 - 1))
	mkdir -p "$dir/node-$n/data" "$dir/node-$n/logs"
	cat >"$dir/node-$n/server.properties" <<PROPS
# Written by scripts/testbed/kafka3.sh: node $n of three combined KRaft nodes.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://$KAFKA_HOST:${B[$i]},CONTROLLER://$KAFKA_HOST:${C[$i]}
advertised.listeners=PLAINTEXT://$KAFKA_HOST:${B[$i]}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/node-$n/data

# Production's replication: three copies, two in sync for a write.
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
num.partitions=1
unclean.leader.election.enable=false

# A killed broker is fenced, and its partitions led elsewhere, within
# broker.session.timeout.ms.
broker.session.timeout.ms=$BROKER_SESSION_MS
broker.heartbeat.interval.ms=500
# Small: three JVMs share two cores with the rest of the bed.
num.network.threads=2
num.io.threads=4
background.threads=4
log.cleaner.threads=1
PROPS
	kafka_common_props >>"$dir/node-$n/server.properties"
	kafka_log4j "$dir/node-$n"
}

# launch DIR N starts node N's JVM on its data and records its pid.
launch() {
	local d="$1/node-$2"
	kafka_java "$d" "$HEAP" kafka.Kafka "$d/server.properties" >>"$d/logs/stdout.log" 2>&1 </dev/null &
	echo $! >"$d/kafka.pid"
	log "kafka3 node $2 starting (pid $!, log $d/logs/server.log)"
}

# wait_cluster DIR [ARGS] waits until kafkaping with ARGS succeeds.
wait_cluster() {
	local dir="$1" last=""
	shift
	local deadline=$((SECONDS + START_TIMEOUT)) n
	until last="$("$dir/kafkaping" -brokers "$(brokers)" -timeout 2s -want-brokers 3 "$@" 2>&1)"; do
		for n in 1 2 3; do
			if [ -s "$dir/node-$n/kafka.pid" ] && ! pid_alive "$dir/node-$n/kafka.pid"; then
				tail -n 30 "$dir/node-$n/logs/server.log" >&2 || true
				die "kafka3 node $n exited; see $dir/node-$n/logs"
			fi
		done
		if [ $SECONDS -ge $deadline ]; then
			for n in 1 2 3; do
				log "last lines of $dir/node-$n/logs/server.log:"
				tail -n 15 "$dir/node-$n/logs/server.log" >&2 2>/dev/null || true
			done
			die "kafka3 not ready within ${START_TIMEOUT}s: $last"
		fi
		sleep 0.5
	done
}

brokers() {
	local out="" p
	for p in "${B[@]}"; do out="$out${out:+,}$KAFKA_HOST:$p"; done
	echo "$out"
}

start() {
	local dir="$1" t0 id voters="" i
	shift
	t0="$(now)"
	[ -f "$KAFKA_LIBS/.complete" ] || die "kafka $KAFKA_VERSION jars not in $KAFKA_LIBS; run scripts/testbed/deps.sh first"
	case $# in
	1) B=("$1" $(($1 + 1)) $(($1 + 2))) C=($(($1 + 3)) $(($1 + 4)) $(($1 + 5))) ;;
	6) B=("$1" "$2" "$3") C=("$4" "$5" "$6") ;;
	*) usage ;;
	esac
	for i in "${B[@]}" "${C[@]}"; do
		port_open "$KAFKA_HOST" "$i" && die "$KAFKA_HOST:$i is already in use (a kafka3 left running? kafka3.sh stop DIR)"
	done
	rm -rf "$dir"
	mkdir -p "$dir"
	dir="$(cd "$dir" && pwd)"
	echo "${B[*]} ${C[*]}" >"$dir/ports"
	kafkaping_bin "$dir/kafkaping"
	for i in 1 2 3; do voters="$voters${voters:+,}$i@$KAFKA_HOST:${C[$((i - 1))]}"; done
	id="$(kafka_cluster_id)"
	for i in 1 2 3; do
		write_node_config "$dir" "$i" "$voters"
		(kafka_java "$dir/node-$i" 256m kafka.tools.StorageTool format -t "$id" \
			-c "$dir/node-$i/server.properties") >"$dir/node-$i/format.log" 2>&1 ||
			{ cat "$dir/node-$i/format.log" >&2; die "kafka3 node $i: storage format failed"; }
	done
	# Whatever fails from here on, leave no node running.
	trap 'rc=$?; if [ $rc -ne 0 ]; then for n in 1 2 3; do stop_node "'"$dir"'" $n; done; fi' EXIT
	for i in 1 2 3; do launch "$dir" "$i"; done
	wait_cluster "$dir"
	trap - EXIT
	cat >"$dir/env" <<ENV
# Written by scripts/testbed/kafka3.sh.
export ORDERLOG_KAFKA3_BROKERS=$(brokers)
export ORDERLOG_KAFKA3_DIR=$dir
ENV
	log "kafka3 ready on $(brokers) in $(since "$t0")"
	brokers
}

stop_node() {
	local pidfile="$1/node-$2/kafka.pid" pid deadline=$((SECONDS + 30))
	pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
	pid="$(cat "$pidfile")"
	kill -TERM "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do
		if [ $SECONDS -ge $deadline ]; then
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	rm -f "$pidfile"
}

node_arg() {
	case "${1:-}" in 1 | 2 | 3) ;; *) usage ;; esac
}

main() {
	local cmd="${1:-}" dir="${2:-}"
	[ -n "$dir" ] || usage
	case "$cmd" in
	start) shift 2; start "$dir" "$@" ;;
	stop)
		local n
		for n in 1 2 3; do stop_node "$dir" "$n" & done
		wait
		log "kafka3 stopped ($dir)"
		;;
	kill)
		node_arg "${3:-}"
		local pidfile="$dir/node-$3/kafka.pid"
		pid_alive "$pidfile" || die "kafka3 node $3 is not running"
		kill -KILL "$(cat "$pidfile")"
		while pid_alive "$pidfile"; do sleep 0.05; done
		rm -f "$pidfile"
		;;
	term) node_arg "${3:-}"; stop_node "$dir" "$3" ;;
	restart)
		node_arg "${3:-}"
		load_ports "$dir"
		pid_alive "$dir/node-$3/kafka.pid" && die "kafka3 node $3 is running"
		local t0
		t0="$(now)"
		launch "$dir" "$3"
		# Its own port first: until the new JVM listens, the metadata may
		# still list the node from before the kill.
		local deadline=$((SECONDS + START_TIMEOUT))
		until port_open "$KAFKA_HOST" "${B[$(($3 - 1))]}"; do
			[ $SECONDS -lt $deadline ] || die "kafka3 node $3 does not listen within ${START_TIMEOUT}s"
			pid_alive "$dir/node-$3/kafka.pid" || die "kafka3 node $3 exited; see $dir/node-$3/logs"
			sleep 0.1
		done
		wait_cluster "$dir" -node "$3" -isr-full
		log "kafka3 node $3 back and in sync in $(since "$t0")"
		;;
	*) usage ;;
	esac
}

main "$@"
