#!/usr/bin/env bash
# An Apache ZooKeeper server for tsflink's high availability: one node on 127.0.0.1, or one member of an ensemble.
#
#   bin/zookeeper.sh start|stop|status|fetch
#
# Environment:
#   ZOOKEEPER_PORT          client port (default 2181)
#   ZOOKEEPER_HOST          address the client port binds to (default 127.0.0.1)
#   ZOOKEEPER_DATA_DIR      data dir, zoo.cfg, pid and log file (default <repo>/data/zookeeper)
#   ZOOKEEPER_SERVERS       an ensemble, as ZooKeeper's server.N lines without "server.": space-separated
#                           id=host:quorumPort:electionPort entries, e.g. "1=10.0.0.1:2888:3888 2=10.0.0.2:2888:3888 3=...";
#                           unset, the server runs standalone
#   ZOOKEEPER_MYID          this server's id in ZOOKEEPER_SERVERS (required with it)
#   ZOOKEEPER_TICK_TIME     ms (default 500: sessions may be as short as 2 ticks, so tests can expire them quickly)
#   ZOOKEEPER_HEAP_OPTS     JVM heap options (default -Xms64m -Xmx256m)
#   ZOOKEEPER_START_TIMEOUT seconds to wait for the client port (default 60)
#
# The jars come from Maven Central through zookeeper/pom.xml (mvn dependency:copy-dependencies) and are cached in
# zookeeper/libs until the pom changes. start on a running server and stop on a stopped one do nothing. start returns once
# the client port answers; a member of an ensemble serves requests only when a quorum of its peers runs too.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/zookeeper/pom.xml"
LIBS="$ROOT/zookeeper/libs"
PORT="${ZOOKEEPER_PORT:-2181}"
HOST="${ZOOKEEPER_HOST:-127.0.0.1}"
DATA_DIR="${ZOOKEEPER_DATA_DIR:-$ROOT/data/zookeeper}"
SERVERS="${ZOOKEEPER_SERVERS:-}"
MYID="${ZOOKEEPER_MYID:-}"
TICK_TIME="${ZOOKEEPER_TICK_TIME:-500}"
PID_FILE="$DATA_DIR/zookeeper.pid"
LOG_FILE="$DATA_DIR/zookeeper.log"
TIMEOUT="${ZOOKEEPER_START_TIMEOUT:-60}"

# shellcheck source=lib/jvm-service.sh
. "$ROOT/bin/lib/jvm-service.sh"

die() { echo "zookeeper.sh: $*" >&2; exit 1; }

fetch_jars() { fetch_jars_of 'Apache ZooKeeper'; }

running_pid() { running_pid_of 'QuorumPeerMain'; }

write_config() {
  mkdir -p "$DATA_DIR/data"
  {
    echo "# Written by bin/zookeeper.sh."
    echo "tickTime=$TICK_TIME"
    echo "initLimit=20"
    echo "syncLimit=10"
    echo "dataDir=$DATA_DIR/data"
    echo "clientPort=$PORT"
    echo "clientPortAddress=$HOST"
    echo "maxClientCnxns=200"
    echo "minSessionTimeout=$((TICK_TIME * 2))"
    echo "4lw.commands.whitelist=ruok,srvr,mntr"
    echo "admin.enableServer=false"
    echo "autopurge.purgeInterval=1"
    if [[ -n "$SERVERS" ]]; then
      [[ "$MYID" =~ ^[0-9]+$ ]] || die "ZOOKEEPER_MYID must name this server's id in ZOOKEEPER_SERVERS."
      local entry found=""
      for entry in $SERVERS; do
        [[ "$entry" =~ ^([0-9]+)=([^:]+):([0-9]+):([0-9]+)$ ]] || die "ZOOKEEPER_SERVERS entry '$entry' is not id=host:quorumPort:electionPort."
        echo "server.${BASH_REMATCH[1]}=${BASH_REMATCH[2]}:${BASH_REMATCH[3]}:${BASH_REMATCH[4]}"
        [[ "${BASH_REMATCH[1]}" == "$MYID" ]] && found=1
      done
      [[ -n "$found" ]] || die "ZOOKEEPER_MYID $MYID is not in ZOOKEEPER_SERVERS."
      echo "$MYID" > "$DATA_DIR/data/myid"
    fi
  } > "$DATA_DIR/zoo.cfg"
}

# Sends a four-letter word to the client port and prints the answer (empty when nothing answers).
four_letter_word() {
  local answer=""
  if { exec 3<>"/dev/tcp/$HOST/$PORT"; } 2>/dev/null; then
    printf '%s' "$1" >&3
    answer="$(timeout 5 cat <&3 || true)"
    exec 3>&- 3<&-
  fi
  printf '%s' "$answer"
}

# A standalone server is up once it serves requests; a member of an ensemble once its client port answers (it serves only
# with a quorum, which may not run yet).
answers() {
  if [[ -n "$SERVERS" ]]; then [[ "$(four_letter_word ruok)" == imok ]]; else four_letter_word srvr | grep -q '^Mode: '; fi
}

start() {
  if pid="$(running_pid)"; then echo "ZooKeeper is already running (pid $pid) on $HOST:$PORT."; return 0; fi
  fetch_jars
  command -v java >/dev/null || die "Java is not installed."
  write_config
  : > "$LOG_FILE"
  # setsid: the server must not share the caller's process group, so a test runner killing its group leaves it to 'stop'.
  # shellcheck disable=SC2086
  setsid java ${ZOOKEEPER_HEAP_OPTS:--Xms64m -Xmx256m} -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dzookeeper.admin.enableServer=false -Dorg.slf4j.simpleLogger.showDateTime=true \
    -cp "$LIBS/*" org.apache.zookeeper.server.quorum.QuorumPeerMain "$DATA_DIR/zoo.cfg" > "$LOG_FILE" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$PID_FILE"
  local deadline=$((SECONDS + TIMEOUT))
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      die "the server exited during start-up (see $LOG_FILE)."
    fi
    if (( SECONDS >= deadline )); then
      kill "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      die "the server did not answer on $HOST:$PORT within ${TIMEOUT}s (see $LOG_FILE)."
    fi
    sleep 0.2
  done
  echo "ZooKeeper started (pid $pid) on $HOST:$PORT, data in $DATA_DIR."
}

stop() { stop_service ZooKeeper; }

status() {
  local pid mode
  if ! pid="$(running_pid)"; then echo "ZooKeeper is not running."; exit 3; fi
  mode="$(four_letter_word srvr | sed -n 's/^Mode: //p')"
  echo "ZooKeeper is running (pid $pid) on $HOST:$PORT, mode: ${mode:-not serving (no quorum)}."
}

command="${1:-}"
case "$command" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  fetch) fetch_jars ;;
  *) echo "Usage: bin/zookeeper.sh start|stop|status|fetch" >&2; exit 1 ;;
esac
