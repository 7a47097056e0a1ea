#!/usr/bin/env bash
# SoCo's own integration suite (tests/test_integration.py of the pinned SoCo's sdist, written
# for a real Sonos system) against the simulated six-player home, served on loopback.
#
#   scripts/soco-integration.sh [PYTEST ARGS...]      (make pytest runs it; needs make venv)
#
# The sdist is downloaded once into .cache/soco/ (pip download, the pin of files/requirements.txt).
# The household gets a loopback block of its own (from this shell's PID), so concurrent runs
# never share an address; it is stopped when the suite ends, however it ends.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:-$here/.venv}"
python="$venv/bin/python"
version="$(grep -oP '^soco==\K[0-9.]+' "$here/files/requirements.txt")"
cache="$here/.cache/soco"
sdist="$cache/soco-$version"

if [ ! -f "$sdist/tests/test_integration.py" ]; then
  mkdir -p "$cache"
  "$python" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: "soco==$version" -d "$cache"
  tar -xzf "$cache/soco-$version.tar.gz" -C "$cache" "soco-$version/tests" "soco-$version/setup.cfg"
fi

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

block=$(( 100 + $$ % 150 ))
export PYTHONPATH="$here/tests"
"$python" - "$here/tests/households/six-player-home.yml" "$work/home.yml" "$block" <<'PY'
import sys
import yaml
source, target, block = sys.argv[1], sys.argv[2], int(sys.argv[3])
home = yaml.safe_load(open(source, encoding="utf-8"))
for index, player in enumerate(home["players"]):
    player["ip"] = f"127.{block}.0.{index + 2}"
home["household_id"] = f"Sonos_soco_integration_{block:03d}"
yaml.safe_dump(home, open(target, "w", encoding="utf-8"), allow_unicode=True)
PY
ip="127.$block.0.2"   # Living Room, the coordinator of a stereo pair with a queue

"$python" -m sonos_sim serve "$work/home.yml" --events "$work/events.jsonl" --no-ssdp >"$work/serve.out" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  grep -q "^Bedroom" "$work/serve.out" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.out" >&2; exit 1; }
  sleep 0.1
done
# The suite's fixture wants a playing player.
"$python" -c "import soco, sys; soco.SoCo(sys.argv[1]).play()" "$ip"

cd "$sdist"
status=0
"$venv/bin/pytest" -p no:cacheprovider tests/test_integration.py --ip "$ip" -q --no-header "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "soco-integration: the simulator's event log is in $here/.cache/soco/last-events.jsonl" >&2
  cp "$work/events.jsonl" "$here/.cache/soco/last-events.jsonl"
fi
exit "$status"
