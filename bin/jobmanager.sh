#!/usr/bin/env bash
# Starts or stops the tsflink JobManager.
#   bin/jobmanager.sh (start|start-foreground) [host] [webui-port] [-D <key>=<value> ...]
#   bin/jobmanager.sh (stop|stop-all)
# As Flink's script: a host sets jobmanager.rpc.address (and rest.address), a web UI port sets rest.port.
set -euo pipefail
USAGE="Usage: jobmanager.sh (start|start-foreground) [host] [webui-port] [-D <key>=<value>] | (stop|stop-all)"
ACTION="${1:-}"
case "$ACTION" in
  start|start-foreground|stop|stop-all) shift ;;
  *) echo "$USAGE" >&2; exit 1 ;;
esac
args=()
if [[ "$ACTION" == start || "$ACTION" == start-foreground ]]; then
  if [[ $# -gt 0 && "$1" != -* ]]; then args+=(-D "jobmanager.rpc.address=$1" -D "rest.address=$1"); shift; fi
  if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then args+=(-D "rest.port=$1"); shift; fi
fi
exec "$(dirname "${BASH_SOURCE[0]}")/flink-daemon.sh" "$ACTION" standalonesession "${args[@]}" "$@"
