#!/usr/bin/env bash
# Starts a JobManager and one TaskManager per line of conf/workers (localhost entries only).
set -euo pipefail
BIN="$(dirname "${BASH_SOURCE[0]}")"
. "$BIN/config.sh"
echo "Starting cluster."
"$BIN/jobmanager.sh" start "$@"
while read -r worker || [[ -n "$worker" ]]; do
  worker="${worker%%#*}"; worker="$(echo "$worker" | xargs)"
  [[ -z "$worker" ]] && continue
  case "$worker" in
    localhost|127.0.0.1|"$(hostname)") "$BIN/taskmanager.sh" start "$@" ;;
    *) echo "Skipping worker '$worker': tsflink starts TaskManagers on this host only." >&2 ;;
  esac
done < "$FLINK_CONF_DIR/workers"
