#!/usr/bin/env bash
# The local Kafka broker: a real Apache Kafka (KRaft, single node) from Maven Central.
#
#   platform/kafka.sh fetch    resolve the pinned jars (platform/kafka/pom.xml)
#   platform/kafka.sh up       fetch, format storage once, start, wait until ready
#   platform/kafka.sh down     stop the broker this script started
#   platform/kafka.sh status   say whether it runs and where
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (port + 1), KAFKA_HOME
# (.platform/kafka: jars, data, log, pid), KAFKA_START_TIMEOUT seconds (90),
# KAFKA_PARTITIONS for new topics (2), KAFKA_HEAP (512m).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
project="$(dirname "$here")"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"
home="${KAFKA_HOME:-$project/.platform/kafka}"
libs="$home/libs"
data="$home/data"
log="$home/broker.log"
pidfile="$home/broker.pid"
config="$home/server.properties"
timeout="${KAFKA_START_TIMEOUT:-90}"

say() { echo "kafka: $*"; }
fail() { echo "kafka: $*" >&2; exit 1; }

fetch() {
  if [ -f "$libs/.complete" ] && [ "$libs/.complete" -nt "$here/kafka/pom.xml" ]; then
    return
  fi
  command -v mvn >/dev/null || fail "Maven (mvn) is needed to fetch the broker's jars"
  say "resolving the broker's jars from Maven Central into $libs"
  rm -rf "$libs"
  mvn -q -B -Dstyle.color=never -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs" \
    || fail "could not resolve the jars listed in platform/kafka/pom.xml"
  touch "$libs/.complete"
}

running_pid() {
  # The pid in the pid file, if that process is alive and is our broker.
  [ -f "$pidfile" ] || return 1
  local pid
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $config" || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

java_cmd=(java -Xmx"${KAFKA_HEAP:-512m}" -Xms128m -XX:+UseG1GC
  -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" -cp "$libs/*")

write_config() {
  mkdir -p "$data"
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" \
      -e "s|@DATA_DIR@|$data|g" -e "s|@PARTITIONS@|${KAFKA_PARTITIONS:-2}|g" \
      "$here/kafka/server.properties.template" >"$config"
}

format_storage() {
  [ -f "$data/meta.properties" ] && return
  local cluster_id
  cluster_id="$("${java_cmd[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
  "${java_cmd[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$config" >>"$log" 2>&1 \
    || { tail -n 30 "$log" >&2; fail "could not format the storage in $data"; }
}

up() {
  if pid="$(running_pid)"; then
    say "already running (pid $pid) on 127.0.0.1:$port"
    return
  fi
  port_open "$port" && fail "port $port is taken by another process; set KAFKA_PORT"
  command -v java >/dev/null || fail "Java 17+ is needed to run the broker"
  fetch
  mkdir -p "$home"
  write_config
  : >"$log"
  format_storage
  nohup "${java_cmd[@]}" kafka.Kafka "$config" >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  local deadline=$((SECONDS + timeout))
  until grep -q "Kafka Server started" "$log" && port_open "$port"; do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      tail -n 40 "$log" >&2
      rm -f "$pidfile"
      fail "the broker exited during start-up (log: $log)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 40 "$log" >&2
      fail "the broker did not become ready within ${timeout}s (log: $log)"
    fi
    sleep 0.5
  done
  say "ready on 127.0.0.1:$port (pid $(cat "$pidfile"), data $data)"
}

down() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$pidfile"
    say "not running"
    return
  fi
  kill "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; say "stopped"; return; }
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  say "killed after 30 s"
}

status() {
  if pid="$(running_pid)"; then
    say "running (pid $pid) on 127.0.0.1:$port, data $data"
  else
    say "not running"
    return 3
  fi
}

case "${1:-}" in
  fetch) fetch ;;
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 fetch|up|down|status" >&2; exit 2 ;;
esac
