#!/usr/bin/env bash
# Run every molecule scenario (molecule/*/molecule.yml), or the ones named
# (scripts/molecule-all.sh [SCENARIO...]), at the same time, each with its own log under
# .cache/molecule/; print each one's result and time, and the end of a failed log.
# Sequentially (`molecule test --all`) would work too; in parallel the amd64 pair takes about as
# long as the slower one, since most of a scenario is waiting on containers.
# The emulated scenarios (*-arm64, *-armhf: qemu-user) need the CPU all along: their Ansible
# runs niced and their chime host's container gets the least CPU weight
# (molecule/shared/prepare-emulated.yml), so the amd64 scenarios keep their pace (their chime is
# due 100 s after a converge starts) and the emulated ones use what the others leave.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/molecule
# The quick start (debian12) reaches its chime host over SSH, as a user reaches a Pi.
command -v ssh >/dev/null 2>&1 || scripts/apt-install.sh openssh-client
pids=()
names=()
if [ "$#" -gt 0 ]; then scenarios=("$@"); else
  scenarios=()
  for file in molecule/*/molecule.yml; do scenarios+=("$(basename "$(dirname "$file")")"); done
fi
for scenario in "${scenarios[@]}"; do
  [ -f "molecule/$scenario/molecule.yml" ] || { echo "molecule-all: no scenario $scenario" >&2; exit 2; }
  case "$scenario" in *-arm64 | *-armhf) niceness=10 ;; *) niceness=0 ;; esac
  (
    start=$(date +%s)
    nice -n "$niceness" molecule test -s "$scenario" >".cache/molecule/$scenario.log" 2>&1
    rc=$?
    echo "$rc $(( $(date +%s) - start ))" >".cache/molecule/$scenario.result"
    exit $rc
  ) &
  pids+=("$!")
  names+=("$scenario")
done
# A log without colours and blank lines.
plain() { sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -v '^\s*$'; }
status=0
failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || status=1
  read -r rc secs <".cache/molecule/${names[$i]}.result"
  if [ "$rc" = 0 ]; then
    echo "molecule ${names[$i]}: passed in ${secs} s (log: .cache/molecule/${names[$i]}.log)"
  else
    echo "molecule ${names[$i]}: FAILED after ${secs} s (log: .cache/molecule/${names[$i]}.log)"
    failed+=("${names[$i]}")
  fi
done
# Each failed log's end, then the task that failed with its message, last: a CI report that keeps
# only the end of the output still shows why. The task is far above molecule's closing summary
# (the last failures in the log: the negative cases fail on purpose earlier on).
for name in "${failed[@]}"; do
  log=".cache/molecule/$name.log"
  echo "=== molecule $name: the end of $log"
  plain "$log" | tail -n 30
  echo "=== molecule $name: the failed tasks in $log"
  plain "$log" | grep -B 3 -A 25 -E '(fatal|failed): \[' | cut -c 1-2000 | tail -n 150
done
[ "${#failed[@]}" = 0 ] || echo "molecule: FAILED: ${failed[*]}"
exit $status
