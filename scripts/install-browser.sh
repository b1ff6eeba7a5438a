#!/usr/bin/env bash
# install-browser.sh: install Debian's chromium for the dashboard's browser
# test (services/query, TestIntegrationDashboard) when it is missing.
# Idempotent: does nothing when chromium is already on PATH (or CHROMIUM_BIN
# points at an executable).
set -euo pipefail

if [ -n "${CHROMIUM_BIN:-}" ] && [ -x "$CHROMIUM_BIN" ]; then
	exit 0
fi
for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null 2>&1; then
		exit 0
	fi
done

sudo=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "install-browser: chromium is missing and this user cannot apt-get install it; run as root: apt-get install -y chromium" >&2
		exit 1
	fi
fi
echo "install-browser: installing Debian's chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null && chromium --version
