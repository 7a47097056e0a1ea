#!/usr/bin/env bash
# Make sure this machine runs arm64 and armhf programs (the Raspberry Pi architectures), in
# containers too, through qemu-user emulation. Debian's qemu-user-static registers its
# binfmt_misc handlers with the F (fix-binary) flag: the kernel opens the emulator once, at
# registration, so a container of a foreign architecture needs no qemu binary of its own.
#   scripts/ensure-binfmt.sh     install and register what is missing, then check each handler
set -euo pipefail
binfmt=/proc/sys/fs/binfmt_misc
handlers=(qemu-aarch64 qemu-arm)

# Not mounted on a fresh machine without systemd as PID 1; it must be before the packages are
# installed, or their scripts have nowhere to register the handlers.
if [ ! -e "$binfmt/register" ]; then
  mount -t binfmt_misc binfmt_misc "$binfmt"
fi

installed() { dpkg-query -W -f '${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }
if ! installed qemu-user-static || ! installed binfmt-support; then
  echo "ensure-binfmt: installing qemu-user-static and binfmt-support from Debian" >&2
  "$(dirname "$0")/apt-install.sh" qemu-user-static binfmt-support
fi

for h in "${handlers[@]}"; do
  # Installed earlier but not registered since (binfmt_misc mounted again after a reboot).
  [ -e "$binfmt/$h" ] || update-binfmts --enable "$h" >/dev/null
  [ "$(head -n1 "$binfmt/$h")" = enabled ] || echo 1 >"$binfmt/$h"
  if ! grep -qE '^flags: .*F' "$binfmt/$h"; then
    echo "ensure-binfmt: the $h handler is registered without the F (fix-binary) flag, so" \
      "containers cannot use it; remove it (echo -1 > $binfmt/$h) and run this again" >&2
    exit 1
  fi
done
