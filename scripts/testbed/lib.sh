# shellcheck shell=bash
# Shared settings and helpers for the test bed scripts. Sourced, not run.
#
# Everything the bed writes lives in $BED_DIR (the repo's .testbed/, git-ignored)
# except the Kafka jars, which are cached across runs in $ORDERLOG_CACHE.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BED_DIR="${ORDERLOG_BED_DIR:-$REPO_ROOT/.testbed}"
CACHE_DIR="${ORDERLOG_CACHE:-$HOME/.cache/orderlog}"

# Newest Kafka 4.x whose whole dependency tree resolves on Maven Central.
# (4.4.0's kafka_2.13 was published but kafka-tools-api 4.4.0 was not, on
# 2026-11-21; try again with ORDERLOG_KAFKA_VERSION=4.4.0.)
KAFKA_VERSION="${ORDERLOG_KAFKA_VERSION:-4.3.0}"
# log4j2 binding for slf4j 1.x, the version Kafka 4.3's own log4j-core has.
LOG4J_VERSION="${ORDERLOG_LOG4J_VERSION:-2.25.4}"
KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"

KAFKA_HOST=127.0.0.1
KAFKA_PORT="${ORDERLOG_BED_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${ORDERLOG_BED_KAFKA_CONTROLLER_PORT:-19093}"
REDIS_HOST=127.0.0.1
REDIS_PORT="${ORDERLOG_BED_REDIS_PORT:-16379}"
# The Redis Cluster: six nodes on this port and the next five (bus: +10000).
REDIS_CLUSTER_PORT="${ORDERLOG_BED_REDIS_CLUSTER_PORT:-17001}"

KAFKA_DIR="$BED_DIR/kafka"
REDIS_DIR="$BED_DIR/redis"
REDIS_CLUSTER_DIR="$BED_DIR/redis-cluster"
ENV_FILE="$BED_DIR/env"

log() { printf 'testbed: %s\n' "$*" >&2; }
die() { printf 'testbed: ERROR: %s\n' "$*" >&2; exit 1; }

# now prints seconds since the epoch with millisecond precision.
now() { date +%s.%3N; }
# since START prints the seconds elapsed since START, e.g. "3.2s".
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1fs", e - s }'; }

# as_root runs a command as root, through sudo when we are not root.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# port_open HOST PORT succeeds when something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# pid_alive PIDFILE succeeds when the file names a running process.
pid_alive() {
	local pid
	[ -s "$1" ] || return 1
	pid="$(cat "$1")"
	kill -0 "$pid" 2>/dev/null
}

# kafka_common_props prints the broker settings every bed's Kafka shares
# (the one-node bed, kafka3.sh's three nodes, secure.sh's node).
kafka_common_props() {
	cat <<'PROPS'
# Tests create their topics explicitly (topics.Set.Ensure), as production does.
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
# Failover in seconds (docs/operations.md, "Failover"): members may ask for a
# session timeout down to 1 s (Kafka's default floor is 6 s), and a timed-out
# transaction is looked for every second (default 10 s).
group.min.session.timeout.ms=1000
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
# Compaction is part of what we test (order.state).
log.cleaner.enable=true
# Transactions (docs/operations.md, "Kafka in production"): a transaction's
# first produce to a partition right after the previous commit meets
# CONCURRENT_TRANSACTIONS while the coordinator still writes that commit's
# markers, and the broker retries it after this backoff (default 20 ms,
# which every transaction of a busy member then waits).
add.partitions.to.txn.retry.backoff.ms=1
PROPS
}

# kafka_log4j DIR writes DIR/log4j2.properties: INFO to DIR/logs/server.log.
kafka_log4j() {
	cat >"$1/log4j2.properties" <<PROPS
# Written by scripts/testbed.
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $1/logs/server.log
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

# kafka_cluster_id prints a fresh Kafka cluster id: 16 random bytes,
# base64url without padding; one that starts with '-' would read as an
# option to StorageTool, so it draws again.
kafka_cluster_id() {
	local id=-
	while [ "${id:0:1}" = - ]; do
		id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
	done
	echo "$id"
}

# KAFKA_GC_OPTS are the brokers' collector. Z, whose pauses are below a
# millisecond: with G1 (the JVM's default aim of 200 ms) the one-node bed's
# broker paused 27-34 ms every few seconds at 10,000 commands/s, stalling
# every transaction in flight; G1 aiming at 20 ms (Kafka's start scripts)
# paused 13-35 ms every 0.7 s on 2 cores. The heap is fixed (-Xms = -Xmx),
# as kafka-server-start.sh fixes it. Each node logs its collections to
# logs/gc.log.
KAFKA_GC_OPTS=(-XX:+UseZGC)

# kafka_java DIR HEAP CLASS ARGS... execs a Kafka class with DIR's logging
# and a heap of at most HEAP (e.g. 512m). It replaces the shell: run it in a
# subshell, ( ... ) or with &, so that $! is the JVM's pid.
kafka_java() {
	local dir="$1" heap="$2"
	shift 2
	exec java -Xms"$heap" -Xmx"$heap" "${KAFKA_GC_OPTS[@]}" -Xlog:gc:file="$dir/logs/gc.log" -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$dir/log4j2.properties" \
		-Dkafka.logs.dir="$dir/logs" \
		-cp "$KAFKA_LIBS/*" "$@"
}

# kafkaping_bin builds scripts/testbed/kafkaping into $1 unless it is there.
kafkaping_bin() {
	[ -x "$1" ] || (cd "$REPO_ROOT" && go build -o "$1" ./scripts/testbed/kafkaping) ||
		die "could not build scripts/testbed/kafkaping"
}
