#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (driven by playwright-core). Idempotent: does nothing when
# /usr/bin/chromium is already there. Needs root (or passwordless sudo) and the Debian mirror.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then exit 0; fi
sudo=()
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null || { echo "install-chromium: /usr/bin/chromium is missing and this is not root" >&2; exit 1; }
  sudo=(sudo -n)
fi
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
