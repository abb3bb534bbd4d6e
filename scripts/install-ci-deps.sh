#!/usr/bin/env bash
# Install what the tests need from Debian besides the browser: nginx, which
# tests/test_deploy_nginx.py runs (unprivileged, from a temporary folder) in
# front of the real server with deploy/nginx.conf, and systemd's
# systemd-analyze, which tests/test_deploy_systemd.py runs on deploy/systemd,
# and Jekyll, which tests/test_deploy_jekyll.py runs with deploy/jekyll's plugin.
# Does nothing when they are there.
set -euo pipefail
missing=()
[ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v jekyll >/dev/null || missing+=(jekyll)
command -v rsync >/dev/null || missing+=(rsync)  # tests/test_deploy_replicas.py
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "installing ${missing[*]} for the deployment tests" >&2
# the tests start their own nginx: keep the packages from starting services
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null
/usr/sbin/nginx -v
systemd-analyze --version | head -1
jekyll --version
rsync --version | head -1
