#!/bin/sh
# Installs what the `browser` tests need: Debian's chromium, run headless to load and screenshot
# the HTML report (tests/report/test_report_html_browser.py). Idempotent and quiet. Run as root.
set -eu
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
