#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests when it is missing (root with apt-get only).
# Never downloads a browser build of its own: Playwright drives /usr/bin/chromium.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: installing the Debian package chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
else
    echo "ensure_chromium: /usr/bin/chromium is missing; the browser tests will be skipped" >&2
fi
