#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: lint, format and type checks run as tests.
# Installs what the tests need: Debian's softhsm2 (a real PKCS#11 token) and chromium (the
# approval page's browser test) when missing, then the core, every adapter and the test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "scripts/test.sh: the tests need the Debian packages ${need[*]}; install them as root" >&2
  fi
fi
python3 -m venv .venv
.venv/bin/pip install -q -r requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
