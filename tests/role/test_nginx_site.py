"""The nginx server block of the role, rendered as Ansible would (trim_blocks)."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
import yaml

from role.test_filters import F

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "sonos_chime"


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
