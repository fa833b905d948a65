#!/usr/bin/env bash
# Confluent-compatible Avro schema registry for the integration tests:
# Apicurio Registry 3 (io.apicurio:apicurio-registry-app, classifier "all",
# a ready-to-run Quarkus app tarball on Maven Central) with in-memory H2
# storage. No Kafka needed; ORDERLOG_KAFKA_BROKERS is ignored.
#
#   scripts/testbed/registry.sh start   # install if missing, start, wait, print the export line
#   scripts/testbed/registry.sh stop    # stop it (no-op when not running)
#   scripts/testbed/registry.sh status
#
# stdout of `start` is only the line to eval:
#   export ORDERLOG_SCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7
# Apicurio serves the Confluent API under /apis/ccompat/v7, not at the root;
# use that URL as the registry base URL (franz-go's sr joins paths onto it).
#
# Settings (environment):
#   ORDERLOG_REGISTRY_PORT        HTTP port (18081)
#   ORDERLOG_REGISTRY_MGMT_PORT   Quarkus management port, health/metrics (18091)
#   ORDERLOG_APICURIO_VERSION     default 3.3.3 when a Java 21+ is found, else 3.0.9 (runs on Java 17)
#   ORDERLOG_REGISTRY_JAVA        java binary to use (default: first Java that fits)
#   ORDERLOG_REGISTRY_COMPATIBILITY  global compatibility set after start (BACKWARD, as Confluent's default)
#   ORDERLOG_BED_DIR, ORDERLOG_CACHE  as in lib.sh (.testbed/ and ~/.cache/orderlog)
# Schemas live in memory: a restart forgets them.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BED_DIR="${ORDERLOG_BED_DIR:-$REPO_ROOT/.testbed}"
CACHE_DIR="${ORDERLOG_CACHE:-$HOME/.cache/orderlog}"
HOST=127.0.0.1
PORT="${ORDERLOG_REGISTRY_PORT:-18081}"
MGMT_PORT="${ORDERLOG_REGISTRY_MGMT_PORT:-18091}"
RUN_DIR="$BED_DIR/registry"
PID_FILE="$RUN_DIR/registry.pid"
LOG_FILE="$RUN_DIR/registry.log"
API_PATH=/apis/ccompat/v7
URL="http://$HOST:$PORT$API_PATH"
START_TIMEOUT="${ORDERLOG_REGISTRY_START_TIMEOUT:-180}"

log() { printf 'registry: %s\n' "$*" >&2; }
die() { printf 'registry: ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%3N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1fs", e - s }'; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
pid_alive() { [ -s "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }
answers() { curl -sf -o /dev/null --max-time 2 "$URL/subjects"; }

# java_major BIN prints the major version of a java binary (0 when unusable).
java_major() {
	"$1" -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == 1 ? v[2] : v[1]); f = 1; exit } END { if (!f) print 0 }'
}

# pick_java MIN prints the first java binary whose major version is >= MIN.
pick_java() {
	local min="$1" j
	local cands=()
	if [ -n "${ORDERLOG_REGISTRY_JAVA:-}" ]; then
		cands+=("$ORDERLOG_REGISTRY_JAVA")
	else
		[ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME/bin/java")
		command -v java >/dev/null && cands+=("$(command -v java)")
		for j in /usr/lib/jvm/*/bin/java; do [ -x "$j" ] && cands+=("$j"); done
	fi
	for j in "${cands[@]}"; do
		[ -x "$j" ] || continue
		if [ "$(java_major "$j")" -ge "$min" ]; then
			echo "$j"
			return 0
		fi
	done
	return 1
}

choose_version() {
	if [ -n "${ORDERLOG_APICURIO_VERSION:-}" ]; then
		VERSION="$ORDERLOG_APICURIO_VERSION"
	elif pick_java 21 >/dev/null; then
		VERSION=3.3.3 # built for Java 21 (class file version 65)
	else
		VERSION=3.0.9 # last 3.0.x, built for Java 17
	fi
	case "$VERSION" in
	3.0.*) JAVA_MIN=17 ;;
	*) JAVA_MIN=21 ;;
	esac
	JAVA_BIN="$(pick_java "$JAVA_MIN")" ||
		die "Apicurio Registry $VERSION needs Java $JAVA_MIN+; none found (set ORDERLOG_REGISTRY_JAVA or ORDERLOG_APICURIO_VERSION=3.0.9)"
	APP_HOME="$CACHE_DIR/apicurio-registry-$VERSION"
}

install() {
	if [ -f "$APP_HOME/.complete" ]; then
		return
	fi
	command -v mvn >/dev/null || die "mvn not found; it fetches Apicurio Registry from Maven Central"
	local t0 dl
	t0="$(now)"
	log "fetching io.apicurio:apicurio-registry-app:$VERSION:tar.gz:all from Maven Central into $APP_HOME"
	rm -rf "$APP_HOME" "$APP_HOME.partial"
	mkdir -p "$APP_HOME.partial" "$CACHE_DIR"
	dl="$APP_HOME.partial/.dl"
	if ! mvn -B -q -Dmaven.repo.local="$CACHE_DIR/m2" \
		dependency:copy \
		-Dartifact="io.apicurio:apicurio-registry-app:$VERSION:tar.gz:all" \
		-DoutputDirectory="$dl" >"$CACHE_DIR/apicurio-$VERSION-mvn.log" 2>&1; then
		tail -n 30 "$CACHE_DIR/apicurio-$VERSION-mvn.log" >&2
		die "mvn could not fetch Apicurio Registry $VERSION (log: $CACHE_DIR/apicurio-$VERSION-mvn.log)"
	fi
	tar -xzf "$dl/apicurio-registry-app-$VERSION-all.tar.gz" -C "$APP_HOME.partial"
	rm -rf "$dl"
	[ -f "$APP_HOME.partial/quarkus-run.jar" ] || ls "$APP_HOME.partial"/*-runner.jar >/dev/null 2>&1 ||
		die "no quarkus-run.jar or *-runner.jar in the Apicurio $VERSION tarball"
	touch "$APP_HOME.partial/.complete"
	mv "$APP_HOME.partial" "$APP_HOME"
	log "Apicurio Registry $VERSION installed ($(du -sh "$APP_HOME" | cut -f1)) in $(since "$t0")"
}

start() {
	if pid_alive && answers; then
		log "already running (pid $(cat "$PID_FILE")) at $URL"
		echo "export ORDERLOG_SCHEMA_REGISTRY_URL=$URL"
		return
	fi
	if pid_alive; then
		log "pid $(cat "$PID_FILE") is alive but does not answer; restarting it"
		stop
	fi
	rm -f "$PID_FILE"
	port_open "$HOST" "$PORT" && die "port $HOST:$PORT is taken by another process"
	port_open "$HOST" "$MGMT_PORT" && die "port $HOST:$MGMT_PORT (management) is taken by another process; set ORDERLOG_REGISTRY_MGMT_PORT"
	command -v curl >/dev/null || die "curl not found"

	choose_version
	install
	local jar t0
	if [ -f "$APP_HOME/quarkus-run.jar" ]; then
		jar="$APP_HOME/quarkus-run.jar"
	else
		jar="$(ls "$APP_HOME"/*-runner.jar | head -n1)"
	fi
	mkdir -p "$RUN_DIR"
	t0="$(now)"
	log "starting Apicurio Registry $VERSION with $JAVA_BIN (log: $LOG_FILE)"
	# Deletion of subjects/versions is off by default in 3.3; tests need it for cleanup.
	(
		cd "$RUN_DIR"
		exec setsid "$JAVA_BIN" -Xms64m -Xmx768m -XX:TieredStopAtLevel=1 \
			-Dquarkus.http.host="$HOST" -Dquarkus.http.port="$PORT" \
			-Dquarkus.management.host="$HOST" -Dquarkus.management.port="$MGMT_PORT" \
			-Dapicurio.rest.deletion.group.enabled=true \
			-Dapicurio.rest.deletion.artifact.enabled=true \
			-Dapicurio.rest.deletion.artifact-version.enabled=true \
			-Dapicurio.rest.artifact.deletion.enabled=true \
			-Dapicurio.storage.snapshot.location="$RUN_DIR" \
			-jar "$jar" </dev/null >"$LOG_FILE" 2>&1
	) &
	echo $! >"$PID_FILE"

	local deadline=$((SECONDS + START_TIMEOUT))
	until answers; do
		if ! pid_alive; then
			tail -n 30 "$LOG_FILE" >&2
			rm -f "$PID_FILE"
			die "registry exited during start (log: $LOG_FILE)"
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			tail -n 30 "$LOG_FILE" >&2
			stop
			die "registry did not answer on $URL within ${START_TIMEOUT}s (log: $LOG_FILE)"
		fi
		sleep 0.25
	done
	# Confluent's default global compatibility is BACKWARD; Apicurio's is NONE.
	curl -sf -o /dev/null --max-time 5 -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
		--data "{\"compatibility\":\"${ORDERLOG_REGISTRY_COMPATIBILITY:-BACKWARD}\"}" "$URL/config" ||
		log "WARNING: could not set the global compatibility level"
	log "up at $URL (pid $(cat "$PID_FILE")) in $(since "$t0")"
	echo "export ORDERLOG_SCHEMA_REGISTRY_URL=$URL"
}

stop() {
	if ! pid_alive; then
		rm -f "$PID_FILE"
		log "not running"
		return
	fi
	local pid i
	pid="$(cat "$PID_FILE")"
	kill "$pid" 2>/dev/null || true
	for i in $(seq 1 80); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "pid $pid did not stop in 20s; killing it"
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$PID_FILE"
	log "stopped (pid $pid)"
}

status() {
	if pid_alive && answers; then
		log "running (pid $(cat "$PID_FILE")) at $URL"
	elif pid_alive; then
		log "pid $(cat "$PID_FILE") alive but not answering at $URL"
		return 1
	else
		log "not running"
		return 1
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
