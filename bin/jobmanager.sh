#!/usr/bin/env bash
# Starts or stops the tsflink JobManager.
#   bin/jobmanager.sh (start|start-foreground|stop|stop-all) [-D <key>=<value> ...]
set -euo pipefail
USAGE="Usage: jobmanager.sh (start|start-foreground|stop|stop-all) [-D <key>=<value>]"
ACTION="${1:-}"
case "$ACTION" in
  start|start-foreground|stop|stop-all) shift ;;
  *) echo "$USAGE" >&2; exit 1 ;;
esac
exec "$(dirname "${BASH_SOURCE[0]}")/flink-daemon.sh" "$ACTION" standalonesession "$@"
