"""sonos_sim: a simulated Sonos household that SoCo and soco-cli cannot tell from hardware.

Run one:  PYTHONPATH=tests python -m sonos_sim serve HOUSEHOLD.yml --events EVENTS.jsonl
In pytest: the `household` fixture of tests/conftest.py (see docs/architecture.md section 4).

Modules: schema (household file), hardware (each model as it names itself), model (players,
playback clock, groups), actions (SOAP handlers), descriptions (device/service descriptions,
ZoneGroupState), soap (envelopes), media (fetching http URIs, mutagen durations), faults,
eventlog, server (aiohttp per player, runtimes), ssdp (M-SEARCH answers), gena
(SUBSCRIBE/NOTIFY), testing (what the pytest fixtures use: loopback addresses,
RunningHousehold), mediaserver (an HTTP server for sounds, generated MP3/WAV). README.md has
the household schema and what is not modelled.

What is reused from async_upnp_client and what is hand-written, and why:
- SSDP packet parsing and building (async_upnp_client.ssdp: is_valid_ssdp_packet,
  decode_ssdp_packet, build_ssdp_packet) are reused; the parser accepts SoCo's LF-only
  M-SEARCH. Its SsdpSearchResponder is not: it serves one device from one socket with its own
  SERVER header and no X-RINCON-* headers, where each player must answer from its own address.
- SOAP and SCPD are hand-written. async_upnp_client.server's action_handler answers an unknown
  action or argument with HTTP 400 (a player answers with a UPnP 401/402 fault), validates
  arguments against full state-variable schemas a Sonos SCPD does not define the way SoCo sends
  them, and its UpnpServer serves one device per HTTP server with its own URL layout. Sonos's
  fixed control URLs, the exact argument order SoCo composes keyword calls from, and unqualified
  output arguments are simpler to state in a table (descriptions.py) than to bend it into.
"""

from .schema import HouseholdError, HouseholdSpec, load_household
from .server import HouseholdRuntime, ThreadedHousehold

__all__ = ["HouseholdError", "HouseholdRuntime", "HouseholdSpec", "ThreadedHousehold", "load_household"]
