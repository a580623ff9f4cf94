#!/usr/bin/env bash
# What bin/kafka.sh and bin/zookeeper.sh share (sourced, not run): collecting a JVM service's jars from Maven Central
# finding its running process and stopping it. The caller sets POM, LIBS, PID_FILE and defines die() and running_pid().

# Collects the jars of $POM into $LIBS with Maven, once per version of the pom (a stamp holds its hash). $1 names them.
# Concurrent callers (test files starting servers at once) wait for one another.
fetch_jars_of() {
  local what="$1" stamp="$LIBS/.pom.sha256" want out
  want="$(sha256sum "$POM" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  exec 8>"$LIBS.lock"
  flock 8
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then exec 8>&-; return 0; fi
  command -v mvn >/dev/null || die "Maven (mvn) is not installed; it is needed once to collect the $what jars."
  echo "Collecting $what jars from Maven Central into ${LIBS#"$ROOT/"} ..."
  rm -rf "$LIBS"
  if ! out="$(mvn -B -q -f "$POM" dependency:copy-dependencies 2>&1)"; then
    echo "$out" | tail -n 20 >&2
    die "could not collect the $what jars with Maven: is Maven Central reachable from this machine?"
  fi
  echo "$want" > "$stamp"
  exec 8>&-
}

# The pid of $PID_FILE's process if it runs and its command line names $1 (a pid file may outlive its process).
running_pid_of() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid; pid="$(cat "$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "$1" || return 1
  echo "$pid"
}

# Stops the service of $PID_FILE: SIGTERM, then SIGKILL after 30 s; says so with $1 as its name. Nothing running: nothing.
stop_service() {
  local name="$1" pid
  if ! pid="$(running_pid)"; then rm -f "$PID_FILE"; echo "$name is not running."; return 0; fi
  kill "$pid"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -f "$PID_FILE"
  echo "$name stopped (pid $pid)."
}
