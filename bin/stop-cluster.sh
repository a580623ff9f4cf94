#!/usr/bin/env bash
# Stops every TaskManager and the JobManager started on this host.
set -euo pipefail
BIN="$(dirname "${BASH_SOURCE[0]}")"
"$BIN/taskmanager.sh" stop-all
"$BIN/jobmanager.sh" stop-all
