"""The nginx server block of the role, rendered as Ansible would (trim_blocks)."""

from __future__ import annotations

import http.client
import os
import select
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pytest
import yaml

from role.test_filters import F

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "sonos_chime"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # scripts/ensure-venv.sh installs Debian's


def render(**overrides: object) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROLE / "templates")), trim_blocks=True,
                             undefined=jinja2.StrictUndefined)
    # The role calls its filters by their full names (chimehouse.sonos.*), as the collection's.
    env.filters.update({f"chimehouse.sonos.{name}": func for name, func in F.FilterModule().filters().items()})
    env.filters["bool"] = F.flag  # Ansible's own, as the role's filters read it
    variables = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))
    variables.update(yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8")))
    variables.update(ansible_managed="Ansible managed", **overrides)
    return env.get_template("nginx-site.conf.j2").render(**variables)


def test_defaults_serve_sounds_read_only_on_8080() -> None:
    site = render()
    assert "listen 8080;" in site
    assert "location /chimes/ {" in site
    assert "alias /var/lib/sonos-chime/sounds/;" in site
    assert "autoindex off;" in site
    assert "audio/mpeg mp3;" in site and "audio/wav wav;" in site
    assert "return 405;" in site
    assert "deny all;" not in site


def test_address_port_path_and_allow_list() -> None:
    site = render(sonos_chime_http_address="192.168.1.5", sonos_chime_http_port=8099,
                  sonos_chime_http_path="/sounds/", sonos_chime_http_allow=["192.168.1.0/24", "10.0.0.7"])
    assert "listen 192.168.1.5:8099;" in site
    assert "location /sounds/ {" in site
    allow = site.index("allow 192.168.1.0/24;")
    assert allow < site.index("allow 10.0.0.7;") < site.index("deny all;")


def test_allow_entries_are_parsed_and_written_in_their_normal_form() -> None:
    site = render(sonos_chime_http_allow=["192.168.1.77/24", " 10.0.0.7 ", "fd00::/8"])
    assert "allow 192.168.1.0/24;" in site and "allow 10.0.0.7;" in site and "allow fd00::/8;" in site


@pytest.mark.parametrize("entry", ["; } location /leak/ { alias /etc/; autoindex on; } location /x/ { allow all",
                                   "all", "192.168.1.0/24; allow all", "192.168.1.0/33", "10.0.0.1\nallow all"])
def test_an_allow_entry_that_is_not_an_address_never_reaches_nginx(entry: str) -> None:
    with pytest.raises(Exception, match="is not an IP address or network"):
        render(sonos_chime_http_allow=[entry])


# ---- the status page, served by real nginx (Debian's, as on the host)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"


@dataclass
class Served:
    address: str
    port: int
    page: bytes

    def ask(self, method: str, path: str, source: str = "127.0.0.1") -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.address, self.port, timeout=10, source_address=(source, 0))
        try:
            connection.request(method, path)
            answer = connection.getresponse()
            return answer.status, {key.lower(): value for key, value in answer.getheaders()}, answer.read()
        finally:
            connection.close()


def free_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The role's site, with the default status location and an allow list, in a real nginx
    of its own; a sound, the page, a link out and a temporary file of the page's writer."""
    sounds, status = tmp_path / "sounds", tmp_path / "status"
    sounds.mkdir()
    status.mkdir()
    (sounds / "bell.mp3").write_bytes(b"ID3" + bytes(64))
    page = b"<!DOCTYPE html><title>Sonos chimes</title>"
    (status / "index.html").write_bytes(page)
    (status / ".page-x.part").write_bytes(b"half")
    (status / "passwd.html").symlink_to("/etc/passwd")
    address = "127.0.0.1"
    port = free_port(address)
    site = render(sonos_chime_http_port=port, sonos_chime_http_address=address, sonos_chime_sounds_dir=str(sounds),
                  __sonos_chime_status_dir=str(status), sonos_chime_http_allow=["192.0.2.0/24"],
                  sonos_chime_status_enabled=True)
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    user = "user root root;\n" if os.geteuid() == 0 else ""  # the workers read the test's own folders
    (tmp_path / "nginx.conf").write_text(
        f"{user}pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\ninclude /etc/nginx/mime.types;\ninclude {tmp_path}/site.conf;\n}}\n", encoding="utf-8")
    # nginx puts itself in the background once it listens: its start's end is the event waited for.
    started = subprocess.run([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True,
                             timeout=30, check=False)
    assert started.returncode == 0, started.stderr
    master = os.pidfd_open(int((tmp_path / "nginx.pid").read_text(encoding="utf-8")))
    try:
        yield Served(address, port, page)
    finally:
        signal.pidfd_send_signal(master, signal.SIGTERM)
        select.select([master], [], [], 10)  # readable when it has exited
        os.close(master)


def test_the_status_page_is_served_static_with_its_headers(served: Served) -> None:
    status, headers, body = served.ask("GET", "/status/")

    assert (status, body) == (200, served.page)
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-cache"
    assert headers["server"] == "nginx"
    assert served.ask("HEAD", "/status/index.html")[0] == 200
    assert served.ask("GET", "/chimes/bell.mp3")[0] == 200  # the sounds beside it, as before
    # Typed without its last slash: sent to the page, and nothing else.
    status, headers, _ = served.ask("GET", "/status")
    assert (status, headers["location"].rsplit(":", 1)[-1].split("/", 1)[-1]) == (301, "status/")


@pytest.mark.parametrize(("method", "path", "statuses"), [
    ("POST", "/status/", {405}), ("PUT", "/status/index.html", {405}), ("DELETE", "/status/index.html", {405}),
    ("GET", "/status/.page-x.part", {404}),  # the page's writer's temporary file
    ("GET", "/status/passwd.html", {403, 404}),  # a link out is never followed
    ("GET", "/status/other.html", {404}),
    ("GET", "/status/..%2f..%2fetc%2fpasswd", {400, 403, 404}),
    ("GET", "/status/../../etc/passwd", {400, 403, 404}),
])
def test_nothing_else_is_served_under_the_status_path(served: Served, method: str, path: str, statuses: set[int]) -> None:
    status, _, body = served.ask(method, path)

    assert status in statuses, (status, body)
    assert b"root:" not in body


def test_the_status_page_takes_the_sounds_allow_list(served: Served) -> None:
    # 127.0.0.2 is no client sonos_chime_http_allow names (127.0.0.1, the host itself, is always let in).
    assert served.ask("GET", "/status/", source="127.0.0.2")[0] == 403
    assert served.ask("GET", "/chimes/bell.mp3", source="127.0.0.2")[0] == 403
