#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, on a fresh machine: Debian's Chromium for the
# explorer's browser test (Playwright never downloads a browser here). Idempotent and quick when present.
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test prerequisites: installing chromium (Debian package)…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "test prerequisites: chromium is missing and cannot be installed here (needs root and apt-get);" >&2
    echo "  the explorer browser test will be skipped locally and FAIL under CI=true." >&2
  fi
fi
