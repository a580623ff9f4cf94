#!/usr/bin/env bash
# Stops the cluster as Flink's script does: the TaskManagers, then the JobManagers, here and on the hosts of
# conf/workers and (with HA) conf/masters that are not this one (over ssh, $FLINK_SSH_OPTS).
set -euo pipefail
BIN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$BIN/config.sh"

stop_remote() {
  local hosts_file="$1" script="$2"
  declare -A seen=()
  while read -r entry; do
    local host="$entry"
    [[ "$hosts_file" == */masters ]] && host="${entry%:*}"
    if is_local_host "$host" || [[ -n "${seen[$host]:-}" ]]; then continue; fi
    seen[$host]=1
    # shellcheck disable=SC2086
    ssh -n ${FLINK_SSH_OPTS:-} "$host" -- "\"$BIN/$script\" stop-all"
  done < <(read_hosts_file "$hosts_file")
}

[[ -f "$FLINK_CONF_DIR/workers" ]] && stop_remote "$FLINK_CONF_DIR/workers" taskmanager.sh
"$BIN/taskmanager.sh" stop-all
if [[ "$(high_availability_mode)" == zookeeper && -f "$FLINK_CONF_DIR/masters" ]]; then stop_remote "$FLINK_CONF_DIR/masters" jobmanager.sh; fi
"$BIN/jobmanager.sh" stop-all
