#!/usr/bin/env bash
# Starts the test bed: one Apache Kafka node (KRaft, broker+controller) on
# 127.0.0.1:19092 (controller 19093), a redis-server on 127.0.0.1:16379, a
# Redis Cluster of three primaries and three replicas on 127.0.0.1:17001-17006
# (redis-cluster.sh), and a schema registry (Apicurio, registry.sh) on
# 127.0.0.1:18081, waits until they answer, and writes $BED_DIR/env for tests
# to source:
#   ORDERLOG_KAFKA_BROKERS, ORDERLOG_REDIS_ADDR, ORDERLOG_REDIS_CLUSTER_ADDRS,
#   ORDERLOG_KAFKA_CLASSPATH, ORDERLOG_KAFKA_VERSION,
#   ORDERLOG_SCHEMA_REGISTRY_URL
# Every start is from empty data directories. Stop it with down.sh.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_START_TIMEOUT="${ORDERLOG_KAFKA_START_TIMEOUT:-120}"
REDIS_START_TIMEOUT="${ORDERLOG_REDIS_START_TIMEOUT:-15}"

preflight() {
	[ -f "$KAFKA_LIBS/.complete" ] || die "kafka $KAFKA_VERSION jars not in $KAFKA_LIBS; run scripts/testbed/deps.sh first"
	command -v redis-server >/dev/null || die "redis-server not installed; run scripts/testbed/deps.sh first"
	local hp
	for hp in "$KAFKA_HOST:$KAFKA_PORT" "$KAFKA_HOST:$KAFKA_CONTROLLER_PORT" "$REDIS_HOST:$REDIS_PORT"; do
		if port_open "${hp%:*}" "${hp#*:}"; then
			die "$hp is already in use (a bed left running? try scripts/testbed/down.sh)"
		fi
	done
}

write_kafka_config() {
	cat >"$KAFKA_DIR/server.properties" <<PROPS
# Written by scripts/testbed/up.sh: a single-node KRaft cluster for tests.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data

# One node: every internal topic has one replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
num.partitions=1

PROPS
	kafka_common_props >>"$KAFKA_DIR/server.properties"

	cat >"$KAFKA_DIR/log4j2.properties" <<PROPS
# Written by scripts/testbed/up.sh.
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $KAFKA_DIR/logs/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = INFO
PROPS
}

# kafka_jvm sets KAFKA_JVM, the java command line with the bed's settings.
# The heap (ORDERLOG_BED_KAFKA_HEAP, default 3g) is ZGC's headroom: Java
# 17's ZGC is not generational, so each cycle marks the whole heap, and at
# 1g the broker of a bed that had run sidebyside.py and the benchmark's
# read side collected every second and stalled its threads' allocations up
# to 325 ms (logs/gc.log: "Allocation Stall"); at 3g it collects a few
# times a minute (docs/performance-analysis.md, "Changes of 2026-12-02,
# third session").
kafka_jvm() {
	KAFKA_JVM=(java -Xms"${ORDERLOG_BED_KAFKA_HEAP:-3g}" -Xmx"${ORDERLOG_BED_KAFKA_HEAP:-3g}" "${KAFKA_GC_OPTS[@]}" -Xlog:gc:file="$KAFKA_DIR/logs/gc.log" -Djava.awt.headless=true
		-Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties"
		-Dkafka.logs.dir="$KAFKA_DIR/logs"
		-cp "$KAFKA_LIBS/*")
}

start_kafka() {
	rm -rf "$KAFKA_DIR"
	mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
	write_kafka_config
	local t0 cluster_id
	t0="$(now)"
	# A Kafka UUID: 16 random bytes, base64url without padding; one that starts
	# with '-' would read as an option to StorageTool, so draw again.
	cluster_id=-
	while [ "${cluster_id:0:1}" = - ]; do
		cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
	done
	kafka_jvm
	if ! "${KAFKA_JVM[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
		-c "$KAFKA_DIR/server.properties" --standalone >"$KAFKA_DIR/format.log" 2>&1; then
		cat "$KAFKA_DIR/format.log" >&2
		die "kafka storage format failed"
	fi
	log "kafka storage formatted (cluster $cluster_id) in $(since "$t0")"
	"${KAFKA_JVM[@]}" kafka.Kafka "$KAFKA_DIR/server.properties" \
		>"$KAFKA_DIR/logs/stdout.log" 2>&1 </dev/null &
	echo $! >"$KAFKA_DIR/kafka.pid"
	log "kafka $KAFKA_VERSION starting (pid $(cat "$KAFKA_DIR/kafka.pid"), log $KAFKA_DIR/logs/server.log)"
}

start_redis() {
	rm -rf "$REDIS_DIR"
	mkdir -p "$REDIS_DIR"
	redis-server --bind "$REDIS_HOST" --port "$REDIS_PORT" \
		--save '' --appendonly no \
		--daemonize yes --pidfile "$REDIS_DIR/redis.pid" \
		--logfile "$REDIS_DIR/redis.log" --dir "$REDIS_DIR"
}

wait_redis() {
	local t0="$1" deadline=$((SECONDS + REDIS_START_TIMEOUT))
	until [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; do
		if [ $SECONDS -ge $deadline ]; then
			tail -n 20 "$REDIS_DIR/redis.log" >&2 || true
			die "redis-server did not answer PING on $REDIS_HOST:$REDIS_PORT within ${REDIS_START_TIMEOUT}s"
		fi
		sleep 0.1
	done
	log "redis ready on $REDIS_HOST:$REDIS_PORT in $(since "$t0")"
}

kafka_log_tail() {
	log "last lines of $KAFKA_DIR/logs/server.log:"
	tail -n 40 "$KAFKA_DIR/logs/server.log" >&2 2>/dev/null || true
	tail -n 20 "$KAFKA_DIR/logs/stdout.log" >&2 2>/dev/null || true
}

wait_kafka() {
	local t0="$1" ping="$BED_DIR/bin/kafkaping"
	local deadline=$((SECONDS + KAFKA_START_TIMEOUT)) last=""
	until last="$("$ping" -brokers "$KAFKA_HOST:$KAFKA_PORT" -timeout 2s 2>&1)"; do
		if ! pid_alive "$KAFKA_DIR/kafka.pid"; then
			kafka_log_tail
			die "kafka exited while starting"
		fi
		if [ $SECONDS -ge $deadline ]; then
			kafka_log_tail
			die "kafka did not answer on $KAFKA_HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s: $last"
		fi
		sleep 0.5
	done
	grep -q "Kafka Server started" "$KAFKA_DIR/logs/server.log" ||
		log "WARNING: kafka answers but its log lacks 'Kafka Server started' (logging misconfigured?)"
	log "kafka ready on $KAFKA_HOST:$KAFKA_PORT in $(since "$t0")"
}

write_env() {
	cat >"$ENV_FILE" <<ENV
# Written by scripts/testbed/up.sh; source it to run integration tests.
export ORDERLOG_KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT
export ORDERLOG_REDIS_ADDR=$REDIS_HOST:$REDIS_PORT
export ORDERLOG_REDIS_CLUSTER_ADDRS=$REDIS_CLUSTER_ADDRS
export ORDERLOG_KAFKA_VERSION=$KAFKA_VERSION
# Use quoted: java -cp "\$ORDERLOG_KAFKA_CLASSPATH" org.apache.kafka.tools.consumer.ConsoleConsumer ...
export ORDERLOG_KAFKA_CLASSPATH='$KAFKA_LIBS/*'
ENV
}

main() {
	local t0
	t0="$(now)"
	preflight
	mkdir -p "$BED_DIR/bin"
	rm -f "$ENV_FILE"
	# Whatever fails from here on, leave nothing running.
	trap 'rc=$?; if [ $rc -ne 0 ]; then log "start failed; stopping what was started"; "$(dirname "${BASH_SOURCE[0]}")/down.sh" || true; fi' EXIT

	start_kafka
	local tk
	tk="$(now)"
	start_redis
	# The schema registry (Apicurio, in memory) boots while Kafka does.
	"$(dirname "${BASH_SOURCE[0]}")/registry.sh" start >"$BED_DIR/registry.env" &
	local registry_pid=$!
	wait_redis "$tk"
	REDIS_CLUSTER_ADDRS="$("$(dirname "${BASH_SOURCE[0]}")/redis-cluster.sh" start "$REDIS_CLUSTER_DIR" "$REDIS_CLUSTER_PORT")" ||
		die "the redis cluster did not start; see $REDIS_CLUSTER_DIR"
	(cd "$REPO_ROOT" && go build -o "$BED_DIR/bin/kafkaping" ./scripts/testbed/kafkaping) ||
		die "could not build scripts/testbed/kafkaping"
	wait_kafka "$tk"
	wait "$registry_pid" || die "the schema registry did not start; see $BED_DIR/registry/registry.log"
	write_env
	cat "$BED_DIR/registry.env" >>"$ENV_FILE"
	trap - EXIT
	log "bed up in $(since "$t0"); env in $ENV_FILE"
}

main "$@"
