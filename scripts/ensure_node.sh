#!/usr/bin/env bash
# Install Debian's Node.js and npm when npm is missing (root with apt-get only): the front-end
# packages (package.json) come from the npm registry.
set -euo pipefail
if command -v npm >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_node: installing the Debian packages nodejs and npm" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nodejs npm >/dev/null
else
    echo "ensure_node: npm is missing; install Node.js and npm" >&2
    exit 1
fi
