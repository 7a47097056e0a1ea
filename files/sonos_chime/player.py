"""One speaker, as its SOAP services see it.

SoCo's service objects build every request and read every answer and UPnP error (argument
lists are given, so SoCo never fetches service descriptions). Only the HTTP exchange itself
is made here (exchange.py, on http.client) rather than by SoCo's requests.post: that builds a
session and scans the proxy environment per call, four times the CPU of the whole exchange,
which is what limits a run of 16 groups on a Raspberry Pi; and it reads an answer whole,
however long it takes and however large it is.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET

import requests
import soco  # type: ignore[import-untyped]
from soco.exceptions import SoCoException, SoCoUPnPException  # type: ignore[import-untyped]

from .errors import PlayerError
from .exchange import SOAP_ANSWER, TOPOLOGY_ANSWER, ExchangeError, exchange
from .netxml import parse_network_xml
from .topology import Member, Topology, parse_topology

LOG = logging.getLogger("sonos-chime")


class Player:
    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._device = soco.SoCo(host) if port == 1400 else soco.SoCo(host, port)

    @classmethod
    def of(cls, member: Member, timeout: float) -> Player:
        return cls(member.host, member.port, timeout)

    def call(self, service: str, action: str, args: list[tuple[str, object]]) -> dict[str, str]:
        soap = getattr(self._device, service)
        headers, body = soap.build_command(action, args)
        if LOG.isEnabledFor(logging.DEBUG):
            LOG.debug("request host=%s action=%s args=%s", self.host, action, dict(args))
        status, text = self._post(soap.control_url, body, headers, action)
        if status == 500:
            self._raise_upnp_error(soap, text, action)
        if status != 200:
            raise PlayerError(self.host, action, f"HTTP {status}")
        try:
            result = soap.unwrap_arguments(text)
        except (ET.ParseError, SyntaxError, ValueError) as error:
            raise PlayerError(self.host, action, f"unreadable answer: {error}") from error
        except (TypeError, IndexError) as error:  # SoCo takes the envelope's Body and its first child as given
            raise PlayerError(self.host, action, "unreadable answer: not a SOAP answer") from error
        if not isinstance(result, dict):
            return {}
        return {str(name): "" if value is None else str(value) for name, value in result.items()}

    def _post(self, path: str, body: str, headers: dict[str, str], action: str) -> tuple[int, str]:
        limit = TOPOLOGY_ANSWER if action == "GetZoneGroupState" else SOAP_ANSWER
        try:
            answer = exchange(self.host, self.port, "POST", path, limit, self.timeout, body.encode("utf-8"), headers)
        except ExchangeError as error:
            raise PlayerError(self.host, action, error.detail) from error
        text = answer.body.decode("utf-8", errors="replace")
        try:
            parse_network_xml(answer.body)
        except ET.ParseError as error:
            raise PlayerError(self.host, action, f"unreadable answer: {error}") from error
        return answer.status, text

    def _raise_upnp_error(self, soap: object, text: str, action: str) -> None:
        try:
            soap.handle_upnp_error(text)  # type: ignore[attr-defined]
        except SoCoUPnPException as error:
            code = str(error.error_code)
            raise PlayerError(self.host, action, f"UPnP error {code}", code) from error
        except SoCoException as error:
            raise PlayerError(self.host, action, f"unreadable error: {text[:120]!r}") from error

    def av(self, action: str, *args: tuple[str, object]) -> dict[str, str]:
        return self.call("avTransport", action, [("InstanceID", 0), *args])

    def rendering(self, action: str, *args: tuple[str, object]) -> dict[str, str]:
        return self.call("renderingControl", action, [("InstanceID", 0), ("Channel", "Master"), *args])

    def topology(self) -> Topology:
        answer = self.call("zoneGroupTopology", "GetZoneGroupState", [])
        try:
            return parse_topology(answer.get("ZoneGroupState", ""))
        except ET.ParseError as error:
            raise PlayerError(self.host, "GetZoneGroupState", f"unreadable topology: {error}") from error

    def household_id(self) -> str:
        return self.call("deviceProperties", "GetHouseholdID", []).get("CurrentHouseholdID", "")

    def media_info(self) -> dict[str, str]:
        return self.av("GetMediaInfo")

    def transport_state(self) -> str:
        return self.av("GetTransportInfo").get("CurrentTransportState", "")

    def position_info(self) -> dict[str, str]:
        return self.av("GetPositionInfo")

    def play_mode(self) -> str:
        return self.av("GetTransportSettings").get("PlayMode", "NORMAL")

    def crossfade(self) -> str:
        return self.av("GetCrossfadeMode").get("CrossfadeMode", "0")

    def volume(self) -> int:
        answer = self.rendering("GetVolume").get("CurrentVolume", "")
        if not answer.strip().isdigit():
            raise PlayerError(self.host, "GetVolume", f"unreadable volume {answer!r}")
        return int(answer)

    def mute(self) -> bool:
        return self.rendering("GetMute").get("CurrentMute", "0") == "1"

    def set_uri(self, uri: str, metadata: str) -> None:
        self.av("SetAVTransportURI", ("CurrentURI", uri), ("CurrentURIMetaData", metadata))

    def play(self) -> None:
        self.av("Play", ("Speed", 1))

    def pause(self) -> None:
        self.av("Pause")

    def stop(self) -> None:
        self.av("Stop")

    def seek(self, unit: str, target: str) -> None:
        self.av("Seek", ("Unit", unit), ("Target", target))

    def set_play_mode(self, mode: str) -> None:
        self.av("SetPlayMode", ("NewPlayMode", mode))

    def set_crossfade(self, mode: str) -> None:
        self.av("SetCrossfadeMode", ("CrossfadeMode", mode))

    def set_volume(self, volume: int) -> None:
        self.rendering("SetVolume", ("DesiredVolume", volume))

    def ramp_to_volume(self, volume: int, ramp_type: str) -> int:
        """The player ramps by itself; the answer is the ramp's length in whole seconds."""
        answer = self.rendering("RampToVolume", ("RampType", ramp_type), ("DesiredVolume", volume),
                                ("ResetVolumeAfter", 0), ("ProgramURI", ""))
        time_text = answer.get("RampTime", "0")
        return int(time_text) if time_text.strip().isdigit() else 0

    def set_mute(self, mute: bool) -> None:
        self.rendering("SetMute", ("DesiredMute", 1 if mute else 0))


def describe_network_error(error: BaseException, timeout: float) -> str:
    if isinstance(error, (requests.Timeout, TimeoutError)):
        return f"no answer within {timeout:g} s"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error)
    errno_match = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if errno_match:
        return errno_match.group(1).strip()
    return f"{type(error).__name__}: {text[:160]}"
