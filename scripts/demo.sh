#!/usr/bin/env bash
# make demo (DEMO_KEEP=1 leaves the containers running for a look around): a simulated household and a chime-host container on one Docker network. site.yml
# converges the chime host with inventory/demo (after a real discovery by SSDP multicast),
# playbooks/chime_now.yml plays a chime, then one in overlay mode (a clip over the music), and
# the simulator's event log shows what each speaker
# played before, during and after. Everything it starts is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
net=sonos-chime-demo
prefix=172.30.40
host=sonos-chime-demo
household=sonos-chime-demo-household
work="$(mktemp -d /tmp/sonos-chime-demo.XXXXXX)"

cleanup() {
  if [ -n "${DEMO_KEEP:-}" ]; then echo "DEMO_KEEP: left $host, $household and $work in place"; return; fi
  docker rm -f "$host" "$household" >/dev/null 2>&1 || true
  docker network rm "$net" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# Leftovers of an interrupted run.
docker rm -f "$host" "$household" >/dev/null 2>&1 || true
docker network rm "$net" >/dev/null 2>&1 || true
scripts/build-image.sh household >/dev/null   # and bookworm; both are skipped when current

step() { printf '\n==> %s\n' "$*"; }

step "Network $net ($prefix.0/24) with a simulated household and a chime host"
docker network create --subnet "$prefix.0/24" --ip-range "$prefix.128/25" "$net" >/dev/null
sed "s/__NET__/$prefix/g" molecule/shared/files/household.yml >"$work/household.yml"
mkdir -m 0777 "$work/events"
docker run -d --name "$household" --hostname "$household" --network "$net" --ip "$prefix.6" \
  --cap-add NET_ADMIN -v "$root:$root:ro" -v "$work:/demo" -e PYTHONPATH="$root/tests" \
  sonos-chime-household:bookworm sh -c "
    for i in 11 12 13 14 15; do ip addr add $prefix.\$i/24 dev eth0; done
    exec /opt/sonos-sim/bin/python -m sonos_sim serve /demo/household.yml --events /demo/events/events.jsonl" >/dev/null
docker run -d --name "$host" --hostname "$host" --network "$net" --ip "$prefix.5" \
  --cap-add SYS_ADMIN --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  --tmpfs /run --tmpfs /run/lock --tmpfs /tmp sonos-chime-debian:bookworm /lib/systemd/systemd >/dev/null
for _ in $(seq 1 30); do
  state="$(docker exec "$host" systemctl is-system-running 2>/dev/null || true)"
  case "$state" in running | degraded) break ;; esac
  sleep 1
done
for _ in $(seq 1 30); do
  grep -q "Chicken Coop" <(docker logs "$household" 2>&1) && break
  sleep 0.5
done
docker logs "$household" 2>&1 | sed 's/^/    /'

cp -r inventory/demo "$work/inventory"
export ANSIBLE_CONFIG="$root/ansible.cfg" ANSIBLE_ROLES_PATH="$root/roles"

step "Discovery from the chime host (playbooks/discover.yml)"
ansible-playbook -i "$work/inventory/hosts.yml" playbooks/discover.yml >"$work/discover.log" 2>&1 || { tail -n 40 "$work/discover.log"; exit 1; }
sed -n '/Discover - summary\]/,/^$/p' "$work/discover.log" | sed '/^$/d; s/^/    /'   # as ansible-playbook prints it
echo "    $work/inventory/host_vars/$host/sonos_zones.yml:"
sed 's/^/    /' "$work/inventory/host_vars/$host/sonos_zones.yml"

step "Converge the chime host (site.yml)"
ansible-playbook -i "$work/inventory/hosts.yml" site.yml | tail -n 3
docker exec "$host" systemctl list-timers --no-pager 'sonos-chime-*' | sed 's/^/    /'

# play_now CHIME UNIT: playbooks/chime_now.yml, then that chime's journal lines and its run per zone
# (chime.py history) as the playbook prints them.
play_now() {
  ansible-playbook -i "$work/inventory/hosts.yml" playbooks/chime_now.yml -e "chime=\"$1\"" >"$work/chime_now-$2.log" 2>&1 \
    || { tail -n 40 "$work/chime_now-$2.log"; exit 1; }
  sed -n '/Chime now - journal of the run\]/,/^$/p; /Chime now - the run per zone\]/,/^$/p' "$work/chime_now-$2.log" \
    | sed '/^$/d; s/^/    /'
  sleep 1
}

sleep 2
step "Play the chime now (playbooks/chime_now.yml -e 'chime=\"Demo chime\"')"
play_now "Demo chime" demo-chime

step "What each speaker played (from the simulator's event log)"
python3 scripts/chime-report.py "$work/events/events.jsonl" --url /chimes/soft-bells.mp3 \
  --expect "Living Room" --expect Kitchen --expect "Bureau d'été" --expect Bathroom \
  --untouched "Chicken Coop" --check

step "Play the overlay chime now (mode: overlay): a clip over the music, which never stops"
play_now "Overlay chime" overlay-chime

step "What each speaker played during the overlay chime"
python3 scripts/chime-report.py "$work/events/events.jsonl" --url /chimes/ding-dong.mp3 \
  --overlaid "Living Room" --overlaid Kitchen --overlaid "Bureau d'été" \
  --untouched Bathroom --untouched "Chicken Coop" --check

step "The status page the chime host serves (http://$prefix.5:8080/status/; DEMO_KEEP=1 to open it)"
docker exec "$household" python3 -c '
import html.parser, sys, urllib.request
class Text(html.parser.HTMLParser):
    def __init__(self): super().__init__(); self.lines = []; self.skip = 0
    def handle_starttag(self, tag, attrs): self.skip += tag in ("style", "svg")
    def handle_endtag(self, tag): self.skip -= tag in ("style", "svg")
    def handle_data(self, data):
        if not self.skip and data.strip(): self.lines.append(" ".join(data.split()))
page = Text(); page.feed(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())
print("\n".join(page.lines[:40]))' "http://$prefix.5:8080/status/" | sed 's/^/    /'
