#!/usr/bin/env bash
# What `make test` runs after lint and the images: the emulated molecule scenarios (arm64, armhf:
# the longest part, qemu-user needing the CPU all along, niced) start first; pytest and SoCo's
# integration suite run beside them, then the amd64 scenarios. Every part runs whatever another
# part does; the exit status is 1 if any failed. Run alone, each part is `make pytest` or
# `scripts/molecule-all.sh [SCENARIO...]`.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/molecule
emulated=()
native=()
for file in molecule/*/molecule.yml; do
  scenario="$(basename "$(dirname "$file")")"
  case "$scenario" in *-arm64 | *-armhf) emulated+=("$scenario") ;; *) native+=("$scenario") ;; esac
done

scripts/molecule-all.sh "${emulated[@]}" >.cache/molecule/emulated.out 2>&1 &
emulated_pid=$!
status=0
start=$(date +%s)
pytest tests || status=1
scripts/soco-integration.sh || status=1
echo "pytest and SoCo's suite: $(( $(date +%s) - start )) s"
scripts/molecule-all.sh "${native[@]}" || status=1
wait "$emulated_pid" || status=1
cat .cache/molecule/emulated.out
echo "make test: everything after lint in $(( $(date +%s) - start )) s"
exit $status
