#!/usr/bin/env bash
# Make sure a Docker engine answers. On a fresh Debian machine: install docker.io from
# Debian and start dockerd in the background (no systemd needed), logging to a file.
set -euo pipefail
log="${DOCKERD_LOG:-/var/log/sonos-chime-dockerd.log}"

if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-engine: installing docker.io from Debian" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "ensure-engine: starting dockerd (log: $log)" >&2
  nohup dockerd >"$log" 2>&1 &
  echo $! >/run/sonos-chime-dockerd.pid
fi
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "ensure-engine: dockerd did not answer within 60 s; see $log" >&2
exit 1
