#!/usr/bin/env bash
# secure.sh: Kafka and Redis as production secures them, on loopback, for
# the tests of e2e/secure and the worked example of docs/operations.md.
#
#   secure.sh start DIR KAFKA_PORT CONTROLLER_PORT REDIS_TLS_PORT
#   secure.sh stop DIR
#
# start makes, in DIR:
#   - certificates (openssl): a CA (ca.pem), the servers' certificate for
#     127.0.0.1/localhost signed by it (server.pem, server.key), a client
#     certificate signed by it (client.pem, client.key), and another CA that
#     signed nothing of ours (untrusted-ca.pem), all PEM;
#   - one KRaft node (broker+controller) whose only client listener is
#     SASL_SSL://127.0.0.1:KAFKA_PORT (SCRAM-SHA-512; PEM key and trust
#     stores), with the StandardAuthorizer, allow.everyone.if.no.acl.found
#     false and super user User:admin (the controller listener is loopback
#     plain text and its ANONYMOUS principal a super user: only the node
#     itself speaks on it);
#   - SCRAM-SHA-512 users, made by kafka-storage format --add-scram: admin,
#     processor, projector, saga, api, simulators, operator and noacl, each
#     with the password <user>-secret;
#   - ACLs made with Kafka's AclCommand (kafka-acls.sh) for each role's
#     principal, on topics, groups and transactional ids under the prefix
#     sec. (ORDERLOG_SECURE_PREFIX): only what the role needs (cmd/orderd's
#     acl.go checks the same list at start); operator, the principal of
#     orderctl, may create, describe and read the topics and describe and
#     read the groups under the prefix (topics create/verify, lag, dlq
#     list); noacl may only describe;
#   - redis-server with TLS only on REDIS_TLS_PORT (tls-auth-clients: a
#     client certificate from the CA), the default user off, and ACL users
#     projector, api and operator (orderctl; password <user>-secret);
#   - admin.properties (Kafka tools as admin) and env, to source:
#     ORDERLOG_SECURE_KAFKA_BROKERS, ORDERLOG_SECURE_REDIS_ADDR,
#     ORDERLOG_SECURE_DIR, ORDERLOG_SECURE_PREFIX.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PREFIX="${ORDERLOG_SECURE_PREFIX:-sec.}"
START_TIMEOUT="${ORDERLOG_KAFKA_START_TIMEOUT:-120}"
USERS=(admin processor projector saga api simulators operator noacl)

usage() { die "usage: secure.sh start DIR KAFKA_PORT CONTROLLER_PORT REDIS_TLS_PORT | stop DIR"; }

make_certs() {
	local d="$1/certs"
	mkdir -p "$d"
	(
		cd "$d"
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=orderlog test CA" \
			-keyout ca.key -out ca.pem 2>/dev/null
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=somebody else's CA" \
			-keyout untrusted-ca.key -out untrusted-ca.pem 2>/dev/null
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >server.ext
		printf 'extendedKeyUsage=clientAuth\n' >client.ext
		local who
		for who in server client; do
			# PKCS#8 keys: Kafka's PEM key store reads no other.
			openssl req -newkey rsa:2048 -nodes -subj "/CN=orderlog $who" -keyout "$who.key" -out "$who.csr" 2>/dev/null
			openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
				-extfile "$who.ext" -out "$who.pem" 2>/dev/null
		done
		cat server.key server.pem >server-keystore.pem
	)
	mv "$d"/* "$1"/
	rmdir "$d"
}

write_kafka_config() {
	local dir="$1" kp="$2" cp="$3"
	mkdir -p "$dir/kafka/data" "$dir/kafka/logs"
	cat >"$dir/kafka/server.properties" <<PROPS
# Written by scripts/testbed/secure.sh: one KRaft node, SASL_SSL with SCRAM and ACLs.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$cp
listeners=SASL_SSL://$KAFKA_HOST:$kp,CONTROLLER://$KAFKA_HOST:$cp
advertised.listeners=SASL_SSL://$KAFKA_HOST:$kp,CONTROLLER://$KAFKA_HOST:$cp
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=$dir/kafka/data

sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";
ssl.keystore.type=PEM
ssl.keystore.location=$dir/server-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$dir/ca.pem
ssl.client.auth=none

authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:ANONYMOUS

offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
num.partitions=1
PROPS
	kafka_common_props >>"$dir/kafka/server.properties"
	kafka_log4j "$dir/kafka"
	cat >"$dir/admin.properties" <<PROPS
# Kafka's tools as the bed's admin: --command-config $dir/admin.properties
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";
ssl.truststore.type=PEM
ssl.truststore.location=$dir/ca.pem
PROPS
}

# bg CMD... runs CMD in the background and remembers its pid for waitbg
# (a bare wait would wait for the Kafka JVM too).
BG=()
bg() { "$@" & BG+=($!); }
waitbg() {
	local p rc=0
	for p in "${BG[@]}"; do wait "$p" || rc=$?; done
	BG=()
	return $rc
}

# acl PRINCIPAL ARGS... adds ACLs with Kafka's own tool.
acl() {
	local who="$1"
	shift
	(kafka_java "$DIR/kafka" 256m org.apache.kafka.tools.AclCommand --bootstrap-server "$BROKERS" \
		--command-config "$DIR/admin.properties" --add --allow-principal "User:$who" "$@") >>"$DIR/acls.log" 2>&1 ||
		{ tail -n 30 "$DIR/acls.log" >&2; die "kafka-acls for $who failed"; }
}

# The ACLs of every role: what cmd/orderd/acl.go's aclsOf lists, with
# the role's group (and transactional ids, which start with it) under the
# prefix: <prefix><role>.
make_acls() {
	local p="$PREFIX" t="--topic" who
	bg acl processor --operation Read $t "${p}order.commands" $t "${p}order.state"
	bg acl processor --operation Write $t "${p}order.events" $t "${p}order.state" $t "${p}order.command-results" $t "${p}order.commands.dlq"
	waitbg
	bg acl projector --operation Read $t "${p}order.events"
	bg acl api --operation Read $t "${p}order.command-results"
	waitbg
	bg acl api --operation Write $t "${p}order.commands"
	bg acl saga --operation Read $t "${p}order.events" $t "${p}order.command-results" $t "${p}order.saga-state" \
		$t "${p}payment.results" $t "${p}inventory.results" $t "${p}shipping.results"
	waitbg
	bg acl saga --operation Write $t "${p}order.commands" $t "${p}order.saga-state" $t "${p}order.commands.dlq" \
		$t "${p}payment.requests" $t "${p}inventory.requests" $t "${p}shipping.requests" $t "${p}notification.requests"
	bg acl simulators --operation Read $t "${p}payment.requests" $t "${p}inventory.requests" $t "${p}shipping.requests" $t "${p}notification.requests"
	waitbg
	bg acl simulators --operation Write $t "${p}payment.results" $t "${p}inventory.results" $t "${p}shipping.results"
	# Every role describes every topic and its configs (orderd verifies the
	# topics at start): one grant for all, noacl included.
	bg acl processor --allow-principal User:projector --allow-principal User:saga --allow-principal User:api \
		--allow-principal User:simulators --allow-principal User:noacl \
		--resource-pattern-type prefixed --operation Describe --operation DescribeConfigs --topic "$p"
	waitbg
	for who in processor projector saga simulators; do
		bg acl "$who" --resource-pattern-type prefixed --operation Read --group "$p$who"
	done
	waitbg
	for who in processor saga; do
		bg acl "$who" --resource-pattern-type prefixed --operation Write --operation Describe --transactional-id "$p$who"
	done
	waitbg
	# The operator (orderctl): create and verify the topics, read them
	# (lag counts records, dlq list reads the DLQ), describe the groups and
	# read their offsets. No writes, no transactional ids.
	bg acl operator --resource-pattern-type prefixed --operation Create --operation Describe --operation DescribeConfigs \
		--operation Read --topic "$p"
	bg acl operator --resource-pattern-type prefixed --operation Describe --operation Read --group "$p"
	waitbg
}

start_redis() {
	local dir="$1" port="$2"
	mkdir -p "$dir/redis"
	# The read models' keys under any prefix; no admin commands. INFO and
	# CLUSTER INFO are how orderd tells a cluster node from a lone Redis.
	cat >"$dir/redis/users.acl" <<ACL
user default off
user projector on >projector-secret ~* &* +@all -@admin -@dangerous +info +cluster|info
user api on >api-secret ~* &* +@all -@admin -@dangerous +info +cluster|info
user operator on >operator-secret ~* &* +@all -@admin -@dangerous +info +cluster|info
ACL
	redis-server --bind "$REDIS_HOST" --port 0 --tls-port "$port" \
		--tls-cert-file "$dir/server.pem" --tls-key-file "$dir/server.key" \
		--tls-ca-cert-file "$dir/ca.pem" --tls-auth-clients yes \
		--aclfile "$dir/redis/users.acl" \
		--save '' --appendonly no \
		--daemonize yes --pidfile "$dir/redis/redis.pid" \
		--logfile "$dir/redis/redis.log" --dir "$dir/redis"
}

wait_redis() {
	local dir="$1" port="$2" deadline=$((SECONDS + 15))
	until [ "$(redis-cli --tls --cacert "$dir/ca.pem" --cert "$dir/client.pem" --key "$dir/client.key" \
		-h "$REDIS_HOST" -p "$port" --user api --pass api-secret --no-auth-warning ping 2>/dev/null)" = PONG ]; do
		[ $SECONDS -lt $deadline ] || { tail -n 20 "$dir/redis/redis.log" >&2; die "redis (TLS) did not answer on $port"; }
		sleep 0.1
	done
}

start() {
	[ $# -eq 4 ] || usage
	local kp="$2" cp="$3" rp="$4" t0 id u scram=()
	DIR="$1"
	t0="$(now)"
	[ -f "$KAFKA_LIBS/.complete" ] || die "kafka $KAFKA_VERSION jars not in $KAFKA_LIBS; run scripts/testbed/deps.sh first"
	for u in "$kp" "$cp" "$rp"; do
		port_open "$KAFKA_HOST" "$u" && die "$KAFKA_HOST:$u is already in use"
	done
	rm -rf "$DIR"
	mkdir -p "$DIR"
	DIR="$(cd "$DIR" && pwd)"
	BROKERS="$KAFKA_HOST:$kp"
	kafkaping_bin "$DIR/kafkaping"
	make_certs "$DIR"
	write_kafka_config "$DIR" "$kp" "$cp"
	for u in "${USERS[@]}"; do scram+=(--add-scram "SCRAM-SHA-512=[name=$u,password=$u-secret]"); done
	id="$(kafka_cluster_id)"
	(kafka_java "$DIR/kafka" 256m kafka.tools.StorageTool format -t "$id" -c "$DIR/kafka/server.properties" \
		--standalone "${scram[@]}") >"$DIR/kafka/format.log" 2>&1 ||
		{ cat "$DIR/kafka/format.log" >&2; die "kafka storage format failed"; }
	kafka_java "$DIR/kafka" 768m kafka.Kafka "$DIR/kafka/server.properties" >"$DIR/kafka/logs/stdout.log" 2>&1 </dev/null &
	echo $! >"$DIR/kafka/kafka.pid"
	start_redis "$DIR" "$rp"
	wait_redis "$DIR" "$rp"
	local deadline=$((SECONDS + START_TIMEOUT)) last=""
	until last="$("$DIR/kafkaping" -brokers "$BROKERS" -timeout 2s -tls-ca-file "$DIR/ca.pem" \
		-sasl-mechanism SCRAM-SHA-512 -sasl-user admin -sasl-password admin-secret 2>&1)"; do
		pid_alive "$DIR/kafka/kafka.pid" || { tail -n 30 "$DIR/kafka/logs/server.log" >&2; die "kafka exited while starting"; }
		[ $SECONDS -lt $deadline ] || die "kafka (SASL_SSL) not ready within ${START_TIMEOUT}s: $last"
		sleep 0.5
	done
	log "secure kafka ready on $BROKERS in $(since "$t0"); adding ACLs"
	make_acls
	cat >"$DIR/env" <<ENV
# Written by scripts/testbed/secure.sh.
export ORDERLOG_SECURE_KAFKA_BROKERS=$BROKERS
export ORDERLOG_SECURE_REDIS_ADDR=$REDIS_HOST:$rp
export ORDERLOG_SECURE_DIR=$DIR
export ORDERLOG_SECURE_PREFIX=$PREFIX
ENV
	log "secure bed up in $(since "$t0"); env in $DIR/env"
}

stop() {
	local dir="$1" f pid
	for f in "$dir/kafka/kafka.pid" "$dir/redis/redis.pid"; do
		pid_alive "$f" || continue
		pid="$(cat "$f")"
		kill -TERM "$pid" 2>/dev/null || true
		local deadline=$((SECONDS + 20))
		while kill -0 "$pid" 2>/dev/null; do
			[ $SECONDS -lt $deadline ] || { kill -KILL "$pid" 2>/dev/null || true; break; }
			sleep 0.2
		done
		rm -f "$f"
	done
	log "secure bed stopped ($dir)"
}

case "${1:-}" in
start) shift; start "$@" ;;
stop) [ -n "${2:-}" ] || usage; stop "$2" ;;
*) usage ;;
esac
