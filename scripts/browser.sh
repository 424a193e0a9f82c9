#!/usr/bin/env bash
# What the browser tests need: Debian's Chromium and the npm packages of browser-tests/
# (playwright-core and axe-core, pinned by its lockfile). Installs only what is missing, so it is cheap to
# run before every test run; the browser test runs it itself.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "browser tests need Debian's chromium: apt-get install chromium (as root)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v npm >/dev/null; then
    echo "browser tests need Node.js and npm" >&2
    exit 1
fi
if [ ! -f browser-tests/node_modules/playwright-core/package.json ] \
    || [ ! -f browser-tests/node_modules/axe-core/axe.min.js ]; then
    npm ci --prefix browser-tests --no-audit --no-fund --loglevel=error >/dev/null
fi
