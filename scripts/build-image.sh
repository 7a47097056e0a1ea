#!/usr/bin/env bash
# Build the local Debian image molecule and the demo run (systemd as PID 1, python3 for
# Ansible). No registry is needed: debootstrap from the host's own Debian mirror, then
# `docker import`. Skips the build when an image built from this same recipe exists.
#
#   scripts/build-image.sh bookworm|trixie      -> image sonos-chime-debian:<suite>
#   scripts/build-image.sh bookworm arm64|armhf -> image sonos-chime-debian:bookworm-<arch>
#     (a Raspberry Pi architecture, run through qemu-user emulation: scripts/ensure-binfmt.sh)
#   scripts/build-image.sh household            -> image sonos-chime-household:bookworm
#     (bookworm plus a venv at /opt/sonos-sim with what tests/sonos_sim imports, pinned as in
#      requirements-dev.txt; the simulator's code is mounted from the checkout at run time; and
#      Debian's chromium, which reads the chime host's status page as a phone would)
set -euo pipefail
suite="${1:?usage: build-image.sh bookworm|trixie|household [arm64|armhf]}"
arch="${2:-}"
image="sonos-chime-debian:${suite}${arch:+-$arch}"
here="$(cd "$(dirname "$0")/.." && pwd)"
packages="systemd,systemd-sysv,python3,python3-apt,dbus,sudo,iproute2,ca-certificates,tzdata"
# Bump when the way an image is made changes; the package list, the architecture, the host's
# apt sources and CA certificates (and for the household image the pins) are part of the
# recipe hash too.
recipe_version=2

if [ "$suite" = household ]; then
  "$0" bookworm
  image="sonos-chime-household:bookworm"
  pins="$(grep -hiE '^(aiohttp|async-upnp-client|mutagen|PyYAML)==' "$here/requirements-dev.txt" "$here/files/requirements.txt" | sort -u)"
  base_id="$(docker image inspect -f '{{ .Id }}' sonos-chime-debian:bookworm)"
  debs="python3-venv chromium"
  recipe="$( (echo "$recipe_version"; echo "$pins"; echo "$base_id"; echo "$debs") | sha256sum | cut -c1-16)"
  have="$(docker image inspect -f '{{ index .Config.Labels "org.sonos-chime.recipe" }}' "$image" 2>/dev/null || true)"
  if [ "$have" = "$recipe" ]; then
    echo "build-image: $image is current (recipe $recipe), skipping the build"
    exit 0
  fi
  start=$(date +%s)
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' EXIT
  echo "$pins" >"$ctx/requirements.txt"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM sonos-chime-debian:bookworm
COPY requirements.txt /opt/sonos-sim-requirements.txt
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $debs >/dev/null \
 && python3 -m venv /opt/sonos-sim \
 && /opt/sonos-sim/bin/pip install -q --disable-pip-version-check -r /opt/sonos-sim-requirements.txt \
 && apt-get clean
LABEL org.sonos-chime.recipe=$recipe
CMD ["/lib/systemd/systemd"]
DOCKERFILE
  docker build -q -t "$image" "$ctx" >/dev/null 2>"$ctx/build.log" || { cat "$ctx/build.log" >&2; exit 1; }
  echo "build-image: built $image in $(( $(date +%s) - start )) s"
  exit 0
fi

case "$suite" in bookworm | trixie) ;; *) echo "build-image: unknown suite $suite" >&2; exit 2 ;; esac
case "$arch" in "" | arm64 | armhf) ;; *) echo "build-image: unknown architecture $arch" >&2; exit 2 ;; esac
arch="${arch:-$(dpkg --print-architecture)}"

# The host's apt sources (mirror host names are never written into the repository).
sources_file=""
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
  if [ -s "$f" ] && grep -qE '^(URIs:|deb )' "$f"; then sources_file="$f"; break; fi
done
[ -n "$sources_file" ] || { echo "build-image: no Debian apt sources on this host" >&2; exit 1; }
host_suite="$(. /etc/os-release && echo "${VERSION_CODENAME}")"
mirror="$(grep -m1 -oE '(URIs:|deb) +https?://[^ ]+' "$sources_file" | grep -v -- '-security' | awk '{print $2}' | head -n1)"
mirror="${mirror:-$(grep -m1 -oE 'https?://[^ ]+' "$sources_file")}"

# Extra CA certificates of the host (a TLS-intercepting proxy) so pip works in containers.
ca_sum="$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null | sha256sum | cut -c1-16)"
# A foreign architecture is named in the recipe. The host's own adds nothing, so the images of
# the host's architecture built before arm64 and armhf existed stay current.
foreign_arch=""
[ "$arch" = "$(dpkg --print-architecture)" ] || foreign_arch=" $arch"
recipe="$( (echo "$recipe_version $packages $suite$foreign_arch"; cat "$sources_file") | sha256sum | cut -c1-16)-${ca_sum}"

if docker image inspect "$image" >/dev/null 2>&1; then
  have="$(docker image inspect -f '{{ index .Config.Labels "org.sonos-chime.recipe" }}' "$image" 2>/dev/null || true)"
  if [ "$have" = "$recipe" ]; then
    echo "build-image: $image is current (recipe $recipe), skipping the build"
    exit 0
  fi
fi

# One install at a time: `make images` builds several images at once.
exec 9>/run/sonos-chime-build-image.lock
flock 9
if ! command -v debootstrap >/dev/null 2>&1; then
  "$(dirname "$0")/apt-install.sh" debootstrap
fi
flock -u 9

start=$(date +%s)
root="$(mktemp -d /var/tmp/sonos-chime-rootfs.XXXXXX)"
trap 'rm -rf "$root"' EXIT
echo "build-image: debootstrap $suite ($arch) from $mirror into $root"
# A foreign architecture goes in one go too: the second stage runs through qemu-user.
debootstrap --variant=minbase --arch="$arch" --include="$packages" "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -n 30 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"

# apt inside the container uses the same mirror as the host, suites renamed.
rm -f "$root/etc/apt/sources.list"
mkdir -p "$root/etc/apt/sources.list.d"
sed "s/\b${host_suite}\b/${suite}/g" "$sources_file" >"$root/etc/apt/sources.list.d/$(basename "$sources_file")"
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1 || true
fi
chroot "$root" apt-get clean
# Package lists stay (a real host has them; apt in check mode needs them).
rm -f "$root"/var/cache/apt/*.bin
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
# No getty on a console that does not exist.
rm -f "$root"/etc/systemd/system/getty.target.wants/* 2>/dev/null || true

tar -C "$root" -c . | docker import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  --change "LABEL org.sonos-chime.recipe=${recipe}" \
  --change "LABEL org.sonos-chime.arch=${arch}" \
  - "$image" >/dev/null
echo "build-image: built $image in $(( $(date +%s) - start )) s"
