#!/usr/bin/env bash
# Times bin/kafka.sh: a first run (jars collected from Maven into kafka/libs, storage formatted), a cached run
# (jars present, fresh storage) and a restart (jars and storage present). A first run after `rm -rf ~/.m2` also
# downloads from Maven Central; pass --cold to move ~/.m2/repository aside for that (it is put back afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
export KAFKA_PORT="${KAFKA_PORT:-29092}" KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-29093}"
data="$(mktemp -d)"; export KAFKA_DATA_DIR="$data/kafka"
m2_moved=""
cleanup() {
  bin/kafka.sh stop >/dev/null || true
  rm -rf "$data"
  if [[ -n "$m2_moved" ]]; then rm -rf ~/.m2/repository; mv "$m2_moved" ~/.m2/repository; fi
}
trap cleanup EXIT
if [[ "${1:-}" == "--cold" && -d ~/.m2/repository ]]; then m2_moved="$HOME/.m2/repository.bench-$$"; mv ~/.m2/repository "$m2_moved"; fi
timed() { local t0; t0=$(date +%s%N); "$@" >/dev/null; echo $(( ($(date +%s%N) - t0) / 1000000 )); }
mv kafka/libs "$data/libs.saved" 2>/dev/null || true
first=$(timed bin/kafka.sh start); bin/kafka.sh stop >/dev/null
rm -rf "$KAFKA_DATA_DIR"
cached=$(timed bin/kafka.sh start); bin/kafka.sh stop >/dev/null
restart=$(timed bin/kafka.sh start); bin/kafka.sh stop >/dev/null
if [[ -d "$data/libs.saved" ]]; then rm -rf kafka/libs; mv "$data/libs.saved" kafka/libs; fi
echo "bin/kafka.sh start: first run ${first} ms${m2_moved:+ (empty ~/.m2)}, cached jars + new storage ${cached} ms, restart ${restart} ms"
