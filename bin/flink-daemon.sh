#!/usr/bin/env bash
# Starts or stops a tsflink cluster process, as Flink's flink-daemon.sh / flink-console.sh do.
#
#   bin/flink-daemon.sh (start|start-foreground|stop|stop-all) (standalonesession|taskexecutor) [args...]
#
# Each running daemon is a line "<pid> <id>" in $FLINK_PID_DIR/flink-$FLINK_IDENT_STRING-<daemon>.pid; <id> is the
# smallest number no running daemon of that kind uses, and names the log file
# $FLINK_LOG_DIR/flink-<user>-<daemon>-<id>-<host>.log (stdout and stderr of a background daemon go to the .out file).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/config.sh"

USAGE="Usage: flink-daemon.sh (start|start-foreground|stop|stop-all) (standalonesession|taskexecutor) [args]"
STARTSTOP="${1:-}"; DAEMON="${2:-}"
[[ -n "$STARTSTOP" && -n "$DAEMON" ]] || { echo "$USAGE" >&2; exit 1; }
shift 2

case "$DAEMON" in
  standalonesession) ENTRY="$TSFLINK_HOME/dist/master/main.js" ;;
  taskexecutor) ENTRY="$TSFLINK_HOME/dist/taskmanager/main.js" ;;
  *) echo "Unknown daemon '$DAEMON'. $USAGE" >&2; exit 1 ;;
esac

PID_FILE="$FLINK_PID_DIR/flink-$FLINK_IDENT_STRING-$DAEMON.pid"
mkdir -p "$FLINK_PID_DIR" "$FLINK_LOG_DIR"

# Whether a process runs: it exists and is not a zombie. A killed daemon stays a zombie until init reaps it, which can
# take a second; its id is free at once, as a container's name is after `docker kill`.
alive() {
  local state
  state="$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)"
  [[ -n "$state" && "$state" != Z ]]
}

# Drops lines of processes that are gone, so ids are reused.
prune_pid_file() {
  [[ -f "$PID_FILE" ]] || return 0
  local live="" pid id
  while read -r pid id; do
    [[ -n "$pid" ]] && alive "$pid" && live+="$pid ${id:-0}"$'\n'
  done < "$PID_FILE"
  printf '%s' "$live" > "$PID_FILE"
}

next_id() {
  local id=0
  while [[ -f "$PID_FILE" ]] && awk -v id="$id" '$2 == id { found = 1 } END { exit !found }' "$PID_FILE"; do id=$((id + 1)); done
  echo "$id"
}

# Stops one pid: SIGTERM, then SIGKILL after 10 seconds.
stop_pid() {
  local pid="$1"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do alive "$pid" || return 0; sleep 0.1; done
  echo "$DAEMON (pid: $pid) did not stop within 10 seconds; killing it." >&2
  kill -9 "$pid" 2>/dev/null || true
}

case "$STARTSTOP" in
  start|start-foreground)
    ensure_built
    # The lock covers choosing an id and recording it, so concurrent starts get distinct ids.
    exec 9>"$PID_FILE.lock"
    flock 9
    prune_pid_file
    id="$(next_id)"
    export TSFLINK_DAEMON_ID="$id"
    OUT="$FLINK_LOG_DIR/flink-$FLINK_IDENT_STRING-$DAEMON-$id-$(hostname).out"
    if [[ "$STARTSTOP" == "start-foreground" ]]; then
      echo "$$ $id" >> "$PID_FILE"
      flock -u 9; exec 9>&-
      export TSFLINK_FOREGROUND=true
      exec node "$ENTRY" --configDir "$FLINK_CONF_DIR" "$@"
    fi
    nohup node "$ENTRY" --configDir "$FLINK_CONF_DIR" "$@" > "$OUT" 2>&1 < /dev/null 9>&- &
    pid=$!
    echo "$pid $id" >> "$PID_FILE"
    flock -u 9; exec 9>&-
    echo "Starting $DAEMON daemon (pid: $pid) on host $(hostname)."
    ;;
  stop)
    prune_pid_file
    if [[ ! -s "$PID_FILE" ]]; then echo "No $DAEMON daemon to stop on host $(hostname)."; exit 0; fi
    read -r pid _ < <(tail -n 1 "$PID_FILE")
    echo "Stopping $DAEMON daemon (pid: $pid) on host $(hostname)."
    stop_pid "$pid"
    prune_pid_file
    ;;
  stop-all)
    prune_pid_file
    if [[ ! -s "$PID_FILE" ]]; then echo "No $DAEMON daemon to stop on host $(hostname)."; exit 0; fi
    while read -r pid _; do
      echo "Stopping $DAEMON daemon (pid: $pid) on host $(hostname)."
      stop_pid "$pid"
    done < "$PID_FILE"
    prune_pid_file
    ;;
  *) echo "$USAGE" >&2; exit 1 ;;
esac
