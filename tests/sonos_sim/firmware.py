"""The two Sonos systems a household can run: S2 (current firmware) and S1 (the legacy app's).

Both answer SSDP and UPnP on port 1400 alike; they differ in the versions they report and in
the local API, which only S2 serves on port 1443. People who kept S1 speakers run an S1 system
next to their S2 one on the same network (jishi/node-sonos-http-api#396, home-assistant/core#89300).
"""

from __future__ import annotations

from dataclasses import dataclass

SYSTEMS = ("S1", "S2")


@dataclass(frozen=True)
class Firmware:
    system: str
    software_version: str  # <softwareVersion>, ZoneGroupState's SoftwareVersion, the SSDP SERVER's
    display_version: str  # what the app shows (<displayVersion>, GetZoneInfo)
    sw_gen: int  # <swGen>, ZoneGroupState's SWGen
    min_compatible_version: str
    legacy_compatible_version: str
    local_api: bool  # serves the control API (websocket, info) on port 1443
    variant: int  # X-RINCON-VARIANT of its SSDP answers

    def server_header(self, model_code: str = "ZPS1") -> str:
        return f"Linux UPnP/1.0 Sonos/{self.software_version} ({model_code})"


FIRMWARES = {
    "S2": Firmware("S2", "85.0-64200", "16.6", 2, "84.0-00000", "58.0-00000", local_api=True, variant=2),
    # A Sonos Bridge's description, quoted in a UPnP detection script's comments:
    # <softwareVersion>57.3-77280</softwareVersion><swGen>1</swGen> ... <displayVersion>11.2</displayVersion>;
    # a Play:1's: <modelNumber>S1</modelNumber> ... <softwareVersion>57.13-34140</softwareVersion><swGen>1</swGen>.
    # An S1 player's ssdp:alive in node-sonos-ts's tests: "SERVER: Linux UPnP/1.0 Sonos/57.9-23290 (...)",
    # "X-RINCON-VARIANT: 0". The compatible versions are plausible constants.
    "S1": Firmware("S1", "57.3-77280", "11.2", 1, "57.0-00000", "36.0-00000", local_api=False, variant=0),
}
