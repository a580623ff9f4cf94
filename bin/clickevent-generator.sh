#!/usr/bin/env bash
# Writes the playground's click events to Kafka, like Flink's ClickEventGenerator.
#   bin/clickevent-generator.sh --bootstrap.servers localhost:9092 --topic input [--rate EVENTS_PER_S] [--max-windows N]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/config.sh"
ensure_built
exec node "$TSFLINK_HOME/dist/client/clickevent-generator.js" "$@"
