#!/usr/bin/env bash
# Install Debian packages on this machine quietly: no questions (DEBIAN_FRONTEND), no
# needrestart prompt or warnings about services to restart (NEEDRESTART_*), and apt's own
# chatter (debconf's "delaying package configuration", progress) kept in a log that is printed
# only when the install fails.
#   scripts/apt-install.sh PACKAGE...
set -euo pipefail
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l NEEDRESTART_SUSPEND=1
if ! { apt-get update -qq && apt-get install -y -qq "$@"; } >"$log" 2>&1; then
  echo "apt-install: installing $* failed; apt said:" >&2
  cat "$log" >&2
  exit 1
fi
