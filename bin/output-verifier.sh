#!/usr/bin/env bash
# Checks the playground's output windows (every (page, window) exactly once with count 1000, no gap) and serves the
# totals as JSON over HTTP.
#   bin/output-verifier.sh --bootstrap.servers localhost:9092 [--topic output] [--host 127.0.0.1] [--port 8082]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/config.sh"
ensure_built
exec node "$TSFLINK_HOME/dist/client/output-verifier.js" "$@"
