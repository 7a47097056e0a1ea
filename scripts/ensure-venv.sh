#!/usr/bin/env bash
# Create the development venv (default .venv) from requirements-dev.txt on a fresh Debian machine.
set -euo pipefail
venv="${1:-.venv}"
here="$(cd "$(dirname "$0")/.." && pwd)"

if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  echo "ensure-venv: installing python3-venv from Debian" >&2
  "$here/scripts/apt-install.sh" python3-venv
fi
# tests/role/test_nginx_site.py serves the role's site with Debian's nginx (nginx-light: the
# same server, fewer modules), started by the test on a port of its own. The service Debian
# starts with the package is not wanted on this machine's port 80: stopped and disabled.
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "ensure-venv: installing nginx-light from Debian (tests run the role's nginx site)" >&2
  "$here/scripts/apt-install.sh" nginx-light
  systemctl disable --now nginx >/dev/null 2>&1 || true
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING' || true
"$venv/bin/python" -m pip install -q -r "$here/requirements-dev.txt" 2>&1 | grep -v '^WARNING' || true
"$venv/bin/python" -m pip check
