#!/usr/bin/env bash
# Fails when src/generated/ is not what `npm run proto` makes from proto/ now.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npx --no-install buf generate -o "$tmp"
if ! diff -r "$tmp/src/generated" src/generated > "$tmp/diff.txt"; then
  cat "$tmp/diff.txt" >&2
  echo "src/generated/ is stale: run 'npm run proto' and commit the result." >&2
  exit 1
fi
echo "src/generated/ is up to date with proto/."
