#!/usr/bin/env bash
# redis-cluster.sh start DIR BASE_PORT | stop DIR
#
# start: a Redis Cluster of three primaries and three replicas of Debian's
# redis-server on 127.0.0.1:BASE_PORT .. BASE_PORT+5 (cluster bus on port +
# 10000), each in DIR/<port>, without persistence, created with
# `redis-cli --cluster create ... --cluster-replicas 1`; waits until every
# node says cluster_state:ok and knows three primaries and three replicas,
# every replica has finished its first sync, and prints the seed list
# (host:port,...) on stdout. cluster-node-timeout is
# small (ORDERLOG_BED_REDIS_CLUSTER_NODE_TIMEOUT, default 1000 ms) so that a
# killed primary's replica is promoted within a few seconds.
# stop: stops every node under DIR by its pid file (TERM, then KILL).
# up.sh and down.sh run it for the bed's cluster; the failover test runs its
# own on other ports, as it kills a primary.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NODE_TIMEOUT="${ORDERLOG_BED_REDIS_CLUSTER_NODE_TIMEOUT:-1000}"
START_TIMEOUT="${ORDERLOG_REDIS_START_TIMEOUT:-15}"

ports() { local b="$1"; echo "$b" $((b + 1)) $((b + 2)) $((b + 3)) $((b + 4)) $((b + 5)); }

start() {
	local dir="$1" base="$2" p t0 deadline
	t0="$(now)"
	for p in $(ports "$base"); do
		port_open "$REDIS_HOST" "$p" && die "$REDIS_HOST:$p is already in use"
		port_open "$REDIS_HOST" $((p + 10000)) && die "$REDIS_HOST:$((p + 10000)) (cluster bus) is already in use"
	done
	rm -rf "$dir"
	mkdir -p "$dir"
	dir="$(cd "$dir" && pwd)" # redis-server resolves paths after changing to --dir
	for p in $(ports "$base"); do
		mkdir -p "$dir/$p"
		redis-server --bind "$REDIS_HOST" --port "$p" \
			--cluster-enabled yes --cluster-config-file "$dir/$p/nodes.conf" \
			--cluster-node-timeout "$NODE_TIMEOUT" --cluster-replica-validity-factor 0 \
			--repl-diskless-sync-delay 0 \
			--save '' --appendonly no \
			--daemonize yes --pidfile "$dir/$p/redis.pid" \
			--logfile "$dir/$p/redis.log" --dir "$dir/$p"
	done
	deadline=$((SECONDS + START_TIMEOUT))
	for p in $(ports "$base"); do
		until [ "$(redis-cli -h "$REDIS_HOST" -p "$p" ping 2>/dev/null)" = PONG ]; do
			[ $SECONDS -lt $deadline ] || die "cluster node $REDIS_HOST:$p did not answer PING within ${START_TIMEOUT}s; see $dir/$p/redis.log"
			sleep 0.1
		done
	done
	local seeds=()
	for p in $(ports "$base"); do seeds+=("$REDIS_HOST:$p"); done
	redis-cli --cluster create "${seeds[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 ||
		{ cat "$dir/create.log" >&2; die "redis-cli --cluster create failed"; }
	for p in $(ports "$base"); do
		until ready "$p"; do
			[ $SECONDS -lt $deadline ] || die "cluster node $REDIS_HOST:$p is not ok within ${START_TIMEOUT}s: $(redis-cli -h "$REDIS_HOST" -p "$p" cluster info | grep cluster_state)"
			sleep 0.1
		done
	done
	log "redis cluster (3 primaries, 3 replicas) ready on $REDIS_HOST:$base-$((base + 5)) in $(since "$t0")"
	local IFS=,
	echo "${seeds[*]}"
}

# ready PORT: the node says ok and sees 3 primaries and 3 replicas, all
# connected, and a replica has finished its first sync (master_link_status:up;
# a replica promoted before that would come up empty).
ready() {
	redis-cli -h "$REDIS_HOST" -p "$1" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
	local repl
	repl="$(redis-cli -h "$REDIS_HOST" -p "$1" info replication 2>/dev/null)" || return 1
	if grep -q '^role:slave' <<<"$repl"; then
		grep -q '^master_link_status:up' <<<"$repl" || return 1
	fi
	local nodes
	nodes="$(redis-cli -h "$REDIS_HOST" -p "$1" cluster nodes 2>/dev/null)" || return 1
	[ "$(grep -c 'master' <<<"$nodes")" -eq 3 ] && [ "$(grep -c 'slave' <<<"$nodes")" -eq 3 ] &&
		[ "$(grep -c ' connected' <<<"$nodes")" -eq 6 ] && ! grep -q 'fail' <<<"$nodes"
}

stop() {
	local dir="$1" f pid pids=()
	[ -d "$dir" ] || return 0
	for f in "$dir"/*/redis.pid; do
		[ -e "$f" ] || continue
		if pid_alive "$f"; then
			pid="$(cat "$f")"
			kill -TERM "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
		rm -f "$f"
	done
	local deadline=$((SECONDS + 10))
	for pid in "${pids[@]}"; do
		while kill -0 "$pid" 2>/dev/null; do
			if [ $SECONDS -ge $deadline ]; then
				kill -KILL "$pid" 2>/dev/null || true
				break
			fi
			sleep 0.1
		done
	done
	[ ${#pids[@]} -eq 0 ] || log "redis cluster under $dir stopped (${#pids[@]} nodes)"
}

case "${1:-}" in
start) [ $# -eq 3 ] || die "usage: redis-cluster.sh start DIR BASE_PORT"; start "$2" "$3" ;;
stop) [ $# -eq 2 ] || die "usage: redis-cluster.sh stop DIR"; stop "$2" ;;
*) die "usage: redis-cluster.sh start DIR BASE_PORT | stop DIR" ;;
esac
