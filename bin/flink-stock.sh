#!/usr/bin/env bash
# Apache Flink 1.20's own tools, as users point them at tsflink: the stock `flink` CLI and the stock web dashboard.
#
#   bin/flink-stock.sh fetch          collects flink-clients and flink-runtime-web from Maven Central (once per pom)
#   bin/flink-stock.sh cli <args>     Flink's CliFrontend, e.g. `list -m 127.0.0.1:8081`; reads $FLINK_CONF_DIR
#                                     (config.yaml; rest.address and rest.port as for Flink's bin/flink)
#   bin/flink-stock.sh web-dir        prints the directory of the stock dashboard's files (flink-runtime-web's web/),
#                                     for tsflink's web.dashboard.dir
#
# The jars come from Maven Central through flink-stock/pom.xml (mvn dependency:copy-dependencies), cached in
# flink-stock/libs until the pom changes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/flink-stock/pom.xml"
LIBS="$ROOT/flink-stock/libs"
WEB="$ROOT/flink-stock/web"

# shellcheck source=lib/jvm-service.sh
. "$ROOT/bin/lib/jvm-service.sh"

die() { echo "flink-stock.sh: $*" >&2; exit 1; }

# The jars, then the dashboard's web/ folder unpacked from flink-runtime-web (once per pom; concurrent callers, such as
# two test files, wait for one another).
fetch() {
  fetch_jars_of 'Apache Flink 1.20 client and dashboard'
  local stamp="$ROOT/flink-stock/.web.sha256" want
  want="$(cat "$LIBS/.pom.sha256")"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  exec 9>"$ROOT/flink-stock/web.lock"
  flock 9
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then exec 9>&-; return 0; fi
  local jar; jar="$(ls "$LIBS"/flink-runtime-web-*.jar 2>/dev/null | head -n 1)"
  [[ -n "$jar" ]] || die "flink-runtime-web is missing from $LIBS"
  local tmp; tmp="$(mktemp -d "$ROOT/flink-stock/.web-XXXXXX")"
  (cd "$tmp" && unzip -q "$jar" 'web/*') || { rm -rf "$tmp"; die "could not unpack the dashboard from $jar"; }
  rm -rf "$WEB" "$stamp"
  mv "$tmp/web" "$WEB"
  rm -rf "$tmp"
  echo "$want" > "$stamp"
  exec 9>&-
}

case "${1:-}" in
  fetch) fetch ;;
  cli)
    shift
    fetch >&2
    [[ -n "${FLINK_CONF_DIR:-}" ]] || die "set FLINK_CONF_DIR to a directory with Flink's config.yaml"
    # As Flink's bin/flink: the CLI's own log goes to a file, not to the terminal.
    exec java ${FLINK_STOCK_JAVA_OPTS:-} -Dlog.file="${FLINK_LOG_DIR:-$FLINK_CONF_DIR}/flink-client.log" \
      -Dlog4j.configurationFile="$ROOT/flink-stock/log4j-cli.properties" \
      -cp "$LIBS/*" org.apache.flink.client.cli.CliFrontend "$@"
    ;;
  web-dir) fetch >&2; echo "$WEB" ;;
  *) echo "Usage: bin/flink-stock.sh fetch | cli <flink CLI arguments> | web-dir" >&2; exit 1 ;;
esac
