#!/usr/bin/env bash
# Create the development venv (default .venv) from requirements-dev.txt on a fresh Debian machine.
set -euo pipefail
venv="${1:-.venv}"
here="$(cd "$(dirname "$0")/.." && pwd)"

if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  echo "ensure-venv: installing python3-venv from Debian" >&2
  "$here/scripts/apt-install.sh" python3-venv
fi
# tests/role/test_nginx_site.py serves the role's site with Debian's nginx (the package the
# role installs), started by the test on a port of its own. The service the package would start
# on this machine's port 80 is not wanted: no service starts during the install (policy-rc.d,
# as in a container; one already there is left as it is), and it is disabled.
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "ensure-venv: installing nginx from Debian (tests run the role's nginx site)" >&2
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# ensure-venv: no service starts while nginx is installed\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  "$here/scripts/apt-install.sh" nginx
  systemctl disable nginx >/dev/null 2>&1 || true
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING' || true
"$venv/bin/python" -m pip install -q -r "$here/requirements-dev.txt" 2>&1 | grep -v '^WARNING' || true
"$venv/bin/python" -m pip check
