#!/usr/bin/env bash
# Starts the cluster as Flink's script does: without HA one JobManager here; with high-availability.type: zookeeper one
# JobManager per line `host:webui-port` of conf/masters. Then one TaskManager per line of conf/workers. Entries naming
# this host start here; others start over ssh ($FLINK_SSH_OPTS), with tsflink installed at the same path there.
set -euo pipefail
BIN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$BIN/config.sh"

remote() {
  local host="$1"; shift
  # shellcheck disable=SC2086
  ssh -n ${FLINK_SSH_OPTS:-} "$host" -- "nohup /bin/bash -l $* > /dev/null 2>&1 &"
}

if [[ "$(high_availability_mode)" == zookeeper ]]; then
  [[ -f "$FLINK_CONF_DIR/masters" ]] || { echo "high-availability.type is zookeeper, but $FLINK_CONF_DIR/masters is missing." >&2; exit 1; }
  mapfile -t masters < <(read_hosts_file "$FLINK_CONF_DIR/masters")
  echo "Starting HA cluster with ${#masters[@]} masters."
  for master in "${masters[@]}"; do
    host="${master%:*}"; port="${master##*:}"
    [[ "$master" == *:* && "$port" =~ ^[0-9]+$ ]] || { echo "Invalid masters entry '$master': expected host:webui-port." >&2; exit 1; }
    if is_local_host "$host"; then "$BIN/jobmanager.sh" start "$host" "$port" "$@"
    else remote "$host" "\"$BIN/jobmanager.sh\" start $host $port"; fi
  done
else
  echo "Starting cluster."
  "$BIN/jobmanager.sh" start "$@"
fi
while read -r worker; do
  if is_local_host "$worker"; then "$BIN/taskmanager.sh" start "$@"
  else remote "$worker" "\"$BIN/taskmanager.sh\" start"; fi
done < <(read_hosts_file "$FLINK_CONF_DIR/workers")
