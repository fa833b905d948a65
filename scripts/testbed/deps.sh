#!/usr/bin/env bash
# Installs what the test bed needs and is missing; does nothing when all is there.
#   - Apache Kafka jars (org.apache.kafka:kafka_2.13 + kafka-tools) from Maven
#     Central into $ORDERLOG_CACHE/kafka-<version>/libs, with a log4j2 backend
#   - Debian's redis-server and kcat
#   - Debian's chromium, for the dashboard's browser test (never a downloaded one)
#   - Python's confluent-kafka and fastavro (best effort: warns, never fails)
# Needs Go, Java 17+ and Maven already installed.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

check_tools() {
	local missing=()
	for t in go java mvn; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	[ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (the test bed needs Go, Java 17+ and Maven)"
	local jv
	jv="$(java -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print v[1]; exit }')"
	[ "${jv:-0}" -ge 17 ] || die "Java $jv found; Kafka $KAFKA_VERSION needs Java 17 or newer"
}

write_pom() {
	cat >"$KAFKA_HOME/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<!-- Throwaway pom written by scripts/testbed/deps.sh: only used to fetch jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>orderlog.testbed</groupId>
  <artifactId>kafka-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- Kafka logs through slf4j 1.x; the distribution binds it to log4j2. -->
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
}

fetch_kafka() {
	if [ -f "$KAFKA_LIBS/.complete" ]; then
		log "kafka $KAFKA_VERSION jars cached in $KAFKA_LIBS"
		return
	fi
	local t0
	t0="$(now)"
	log "fetching kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS"
	mkdir -p "$KAFKA_HOME"
	write_pom
	rm -rf "$KAFKA_LIBS" "$KAFKA_LIBS.partial"
	if ! mvn -B -q -f "$KAFKA_HOME/pom.xml" \
		-Dmaven.repo.local="$CACHE_DIR/m2" \
		dependency:copy-dependencies \
		-DincludeScope=runtime \
		-DoutputDirectory="$KAFKA_LIBS.partial" >"$KAFKA_HOME/mvn.log" 2>&1; then
		tail -n 30 "$KAFKA_HOME/mvn.log" >&2
		die "mvn could not fetch kafka $KAFKA_VERSION (log: $KAFKA_HOME/mvn.log)"
	fi
	for jar in "kafka_2.13-$KAFKA_VERSION" "kafka-tools-$KAFKA_VERSION" \
		"log4j-core-$LOG4J_VERSION" "log4j-slf4j-impl-$LOG4J_VERSION"; do
		[ -f "$KAFKA_LIBS.partial/$jar.jar" ] || die "$jar.jar missing after mvn (log: $KAFKA_HOME/mvn.log)"
	done
	touch "$KAFKA_LIBS.partial/.complete"
	mv "$KAFKA_LIBS.partial" "$KAFKA_LIBS"
	log "kafka jars ready ($(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars, $(du -sh "$KAFKA_LIBS" | cut -f1)) in $(since "$t0")"
}

apt_install() {
	local pkgs=("$@")
	local t0 policy_added=""
	t0="$(now)"
	log "installing Debian packages: ${pkgs[*]}"
	# Keep the packages' init scripts from starting a stray redis on 6379.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
		as_root chmod +x /usr/sbin/policy-rc.d
		policy_added=1
	fi
	local rc=0
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 ||
		rc=$?
	[ -z "$policy_added" ] || as_root rm -f /usr/sbin/policy-rc.d
	[ "$rc" -eq 0 ] || die "apt-get install ${pkgs[*]} failed (exit $rc)"
	log "installed ${pkgs[*]} in $(since "$t0")"
}

install_debian_packages() {
	local pkgs=()
	command -v redis-server >/dev/null || pkgs+=(redis-server)
	command -v redis-cli >/dev/null || pkgs+=(redis-tools)
	command -v kcat >/dev/null || pkgs+=(kcat)
	[ -x /usr/bin/chromium ] || pkgs+=(chromium)
	if [ ${#pkgs[@]} -eq 0 ]; then
		log "redis-server, redis-cli, kcat and chromium already installed"
		return
	fi
	command -v apt-get >/dev/null || die "need ${pkgs[*]} but apt-get is not available; install them by hand"
	apt_install "${pkgs[@]}"
}

install_python_packages() {
	if ! command -v python3 >/dev/null; then
		log "WARNING: python3 not found; black-box tests that use confluent-kafka will skip"
		return
	fi
	if python3 -c 'import confluent_kafka, confluent_kafka.schema_registry.avro, fastavro' 2>/dev/null; then
		log "python confluent-kafka and fastavro already installed"
		return
	fi
	local t0
	t0="$(now)"
	log "pip installing confluent-kafka and fastavro"
	if PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check "confluent-kafka[schemaregistry]" fastavro; then
		log "python packages installed in $(since "$t0")"
	else
		log "WARNING: pip install confluent-kafka fastavro failed; tests that need them will skip"
	fi
}

main() {
	local t0
	t0="$(now)"
	check_tools
	fetch_kafka
	install_debian_packages
	install_python_packages
	log "deps ready in $(since "$t0")"
}

main "$@"
