#!/usr/bin/env bash
# Make sure a Docker engine answers. On a fresh Debian machine: install docker.io from
# Debian and start dockerd in the background (no systemd needed), logging to a file.
#   scripts/ensure-engine.sh          start one if none answers
#   scripts/ensure-engine.sh stop     stop the dockerd this script started (if it did)
set -euo pipefail
log="${DOCKERD_LOG:-/var/log/sonos-chime-dockerd.log}"
pidfile=/run/sonos-chime-dockerd.pid

if [ "${1:-}" = stop ]; then
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 30); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 1; done
    echo "ensure-engine: stopped dockerd $(cat "$pidfile")" >&2
  fi
  rm -f "$pidfile"
  exit 0
fi

if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-engine: installing docker.io from Debian" >&2
  "$(dirname "$0")/apt-install.sh" docker.io
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "ensure-engine: starting dockerd (log: $log)" >&2
  nohup dockerd >"$log" 2>&1 &
  echo $! >"$pidfile"
fi
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "ensure-engine: dockerd did not answer within 60 s; see $log" >&2
exit 1
