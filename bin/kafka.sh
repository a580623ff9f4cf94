#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft, broker+controller) for tsflink, on 127.0.0.1 unless KAFKA_HOST says otherwise.
#
#   bin/kafka.sh start|stop|status|fetch
#   bin/kafka.sh create-topics [name:partitions ...]    (default: input:2 output:2, the playground's topics)
#   bin/kafka.sh topics <kafka-topics.sh arguments>      (e.g. --list, --describe --topic input)
#   bin/kafka.sh console-consumer <arguments>            (e.g. --topic output --from-beginning)
#   bin/kafka.sh consumer-perf-test <arguments>          (Kafka's kafka-consumer-perf-test, e.g. --topic input --messages N)
#
# Environment:
#   KAFKA_PORT             broker port (default 9092)
#   KAFKA_HOST             address the broker and its controller bind to and advertise (default 127.0.0.1)
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default KAFKA_PORT+1)
#   KAFKA_DATA_DIR         log dirs, server.properties, pid and log file (default <repo>/data/kafka)
#   KAFKA_HEAP_OPTS        JVM heap options (default -Xms256m -Xmx512m)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to serve (default 90)
#
# The broker's jars come from Maven Central through kafka/pom.xml (mvn dependency:copy-dependencies) and are cached in
# kafka/libs until the pom changes. Every command is idempotent: start on a running broker and stop on a stopped one
# succeed without doing anything.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/kafka/pom.xml"
LIBS="$ROOT/kafka/libs"
PORT="${KAFKA_PORT:-9092}"
HOST="${KAFKA_HOST:-127.0.0.1}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
DATA_DIR="${KAFKA_DATA_DIR:-$ROOT/data/kafka}"
PID_FILE="$DATA_DIR/kafka.pid"
LOG_FILE="$DATA_DIR/kafka.log"
TIMEOUT="${KAFKA_START_TIMEOUT:-90}"

# shellcheck source=lib/jvm-service.sh
. "$ROOT/bin/lib/jvm-service.sh"

die() { echo "kafka.sh: $*" >&2; exit 1; }

fetch_jars() { fetch_jars_of 'Apache Kafka'; }

running_pid() { running_pid_of 'kafka.Kafka'; }

write_config() {
  mkdir -p "$DATA_DIR/logs"
  cat > "$DATA_DIR/server.properties" <<PROPS
# Written by bin/kafka.sh: a single-node KRaft broker on $HOST.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA_DIR/logs
num.partitions=2
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
PROPS
  cat > "$DATA_DIR/log4j.properties" <<PROPS
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$LOG_FILE
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
PROPS
}

java_cmd() {
  # shellcheck disable=SC2206
  JAVA_CMD=(java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseSerialGC -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$DATA_DIR/log4j.properties" -cp "$LIBS/*")
}

start() {
  if pid="$(running_pid)"; then echo "Kafka is already running (pid $pid) on $HOST:$PORT."; return 0; fi
  fetch_jars
  command -v java >/dev/null || die "Java is not installed."
  write_config
  java_cmd
  if [[ ! -f "$DATA_DIR/logs/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    "${JAVA_CMD[@]}" kafka.tools.StorageTool format "--cluster-id=$cluster_id" -c "$DATA_DIR/server.properties" >> "$DATA_DIR/format.log" 2>&1 \
      || { cat "$DATA_DIR/format.log" >&2; die "formatting the storage in $DATA_DIR/logs failed."; }
  fi
  : > "$LOG_FILE"
  # setsid: the broker must not share the caller's process group, so a test runner killing its group leaves it to 'stop'.
  setsid "${JAVA_CMD[@]}" kafka.Kafka "$DATA_DIR/server.properties" > "$DATA_DIR/kafka.out" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$PID_FILE"
  local deadline=$((SECONDS + TIMEOUT))
  until grep -q 'Kafka Server started' "$LOG_FILE" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$DATA_DIR/kafka.out" "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      die "the broker exited during start-up (see $LOG_FILE)."
    fi
    if (( SECONDS >= deadline )); then
      kill "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      die "the broker did not start within ${TIMEOUT}s (see $LOG_FILE)."
    fi
    sleep 0.2
  done
  echo "Kafka started (pid $pid) on $HOST:$PORT, data in $DATA_DIR."
}

stop() { stop_service Kafka; }

status() {
  local pid
  if pid="$(running_pid)"; then echo "Kafka is running (pid $pid) on $HOST:$PORT."; else echo "Kafka is not running."; exit 3; fi
}

# Runs one of Kafka's command-line tools against this broker, logging warnings only, to stderr.
run_tool() {
  local main="$1"; shift
  fetch_jars
  mkdir -p "$DATA_DIR"
  printf 'log4j.rootLogger=WARN, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stderr.layout.ConversionPattern=[%%d] %%p %%m (%%c)%%n\n' > "$DATA_DIR/tools-log4j.properties"
  local bootstrap=()
  [[ " $* " == *" --bootstrap-server "* ]] || bootstrap=(--bootstrap-server "$HOST:$PORT")
  # The tools start fast with the client compiler only; a performance tool gets the JVM's full JIT and more heap.
  local jvm=(-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1)
  [[ "${KAFKA_TOOL_FULL_JIT:-}" == 1 ]] && jvm=(-Xmx1g)
  java "${jvm[@]}" "-Dlog4j.configuration=file:$DATA_DIR/tools-log4j.properties" \
    -cp "$LIBS/*" "$main" "${bootstrap[@]}" "$@"
}

create_topics() {
  local specs=("$@")
  (( ${#specs[@]} )) || specs=(input:2 output:2)
  local spec
  for spec in "${specs[@]}"; do
    run_tool org.apache.kafka.tools.TopicCommand --create --if-not-exists --topic "${spec%%:*}" \
      --partitions "${spec#*:}" --replication-factor 1
  done
}

command="${1:-}"
[[ $# -gt 0 ]] && shift
case "$command" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  fetch) fetch_jars ;;
  create-topics) create_topics "$@" ;;
  topics) run_tool org.apache.kafka.tools.TopicCommand "$@" ;;
  console-consumer) run_tool org.apache.kafka.tools.consumer.ConsoleConsumer "$@" ;;
  consumer-perf-test) KAFKA_TOOL_FULL_JIT=1 run_tool org.apache.kafka.tools.ConsumerPerformance "$@" ;;
  *) echo "Usage: bin/kafka.sh start|stop|status|fetch|create-topics [name:partitions ...]|topics ...|console-consumer ...|consumer-perf-test ..." >&2; exit 1 ;;
esac
