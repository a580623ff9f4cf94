#!/usr/bin/env bash
# Shared settings of the bin/ scripts (sourced, not run).

TSFLINK_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TSFLINK_HOME
FLINK_CONF_DIR="${FLINK_CONF_DIR:-$TSFLINK_HOME/conf}"
FLINK_LOG_DIR="${FLINK_LOG_DIR:-$TSFLINK_HOME/log}"
FLINK_PID_DIR="${FLINK_PID_DIR:-/tmp}"
FLINK_IDENT_STRING="${FLINK_IDENT_STRING:-${USER:-$(id -un)}}"
export FLINK_CONF_DIR FLINK_LOG_DIR FLINK_PID_DIR FLINK_IDENT_STRING

ensure_built() {
  if [[ ! -f "$TSFLINK_HOME/dist/master/main.js" ]]; then
    echo "tsflink is not built: run 'npm run build' in $TSFLINK_HOME first." >&2
    exit 1
  fi
}
