#!/usr/bin/env bash
# Starts or stops a tsflink TaskManager; several may run on one host.
#   bin/taskmanager.sh (start|start-foreground|stop|stop-all) [-D <key>=<value> ...]
set -euo pipefail
USAGE="Usage: taskmanager.sh (start|start-foreground|stop|stop-all) [-D <key>=<value>]"
ACTION="${1:-}"
case "$ACTION" in
  start|start-foreground|stop|stop-all) shift ;;
  *) echo "$USAGE" >&2; exit 1 ;;
esac
exec "$(dirname "${BASH_SOURCE[0]}")/flink-daemon.sh" "$ACTION" taskexecutor "$@"
