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

# high-availability.type of the configuration in $FLINK_CONF_DIR (also under Flink's older keys): none or zookeeper.
high_availability_mode() {
  ensure_built
  node --input-type=module -e "
    const { loadConfiguration } = await import('$TSFLINK_HOME/dist/common/config/GlobalConfiguration.js');
    const { HighAvailabilityOptions } = await import('$TSFLINK_HOME/dist/common/config/options.js');
    console.log(loadConfiguration(process.env.FLINK_CONF_DIR, undefined, () => {}).get(HighAvailabilityOptions.TYPE).trim().toLowerCase());
  "
}

# Whether a host name of conf/masters or conf/workers is this host.
is_local_host() {
  case "$1" in
    localhost|127.0.0.1|::1|"$(hostname)"|"$(hostname -f 2>/dev/null || hostname)") return 0 ;;
    *) return 1 ;;
  esac
}

# The entries of a conf/masters or conf/workers file: comments and blank lines skipped.
read_hosts_file() {
  local line
  while read -r line || [[ -n "$line" ]]; do
    line="${line%%#*}"; line="$(echo "$line" | xargs)"
    [[ -n "$line" ]] && echo "$line"
  done < "$1"
}
