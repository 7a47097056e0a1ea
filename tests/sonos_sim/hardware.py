"""The models as the hardware names itself: one row per household-file `model` key.

A row holds what a real player of that model puts in its device description and local API
info: `modelName` (also its `modelDescription` and the tail of its `friendlyName`, "<ip> -
<modelName>"), `modelNumber`, `displayName` (the short name the Sonos app shows, and the
local API's `modelDisplayName`), whether the root device lists AudioIn (line-in) and
HTControl (a home-theatre player), and the elements only some models send.

Each row names its source: a capture of a real player in a public project (repository and
path), or "no capture found" for what no capture gives (kept, as a plausible value, and listed
in the README's not-modelled section). Most service lists are from svrooij/sonos-api-docs,
generator/sonos-docs/data/sonos-<modelNumber>-<swGen>.json: the services each of the
author's players lists, read from its own description by the project's generator (its
`modelDescription` is the description's, which real players set to the modelName).

Controllers match on these strings (`modelName` "Sonos Play:1", `displayName` "Play:1"), so
the simulator sends them as the hardware does, whatever key the household file uses.
"""

from __future__ import annotations

from dataclasses import dataclass

SONOS_API_DOCS = "svrooij/sonos-api-docs generator/sonos-docs/data/"
NO_CAPTURE = "no capture found"


@dataclass(frozen=True)
class Hardware:
    key: str  # the household file's `model`
    model_name: str  # <modelName>, <modelDescription>
    model_number: str  # <modelNumber>; the local API's `model`
    display_name: str  # <displayName>; the local API's `modelDisplayName`
    line_in: bool  # the root device lists AudioIn
    home_theatre: bool  # the root device lists HTControl (TV input, surrounds and Sub as satellites)
    plays_clips: bool  # the local API's AUDIO_CLIP capability
    series_id: str  # <seriesid>
    source: str  # where modelName, modelNumber and the service list come from
    display_source: str  # where displayName comes from
    extra: tuple[tuple[str, str], ...] = ()  # further description elements, after internalSpeakerSize

    @property
    def is_sub(self) -> bool:
        return self.model_number in ("Sub", "S26")

    @property
    def root_services(self) -> tuple[str, ...]:
        """The root device's service names in a real player's order (descriptions.py lists them so)."""
        return (
            "AlarmClock", "MusicServices", *(("AudioIn",) if self.line_in else ()), "DeviceProperties",
            "SystemProperties", "ZoneGroupTopology", "GroupManagement",
            *(("HTControl",) if self.home_theatre else ()), "QPlay",
        )


# Audio clips (the local API's AUDIO_CLIP capability) are for S2 players; the first Play:5 and
# the Connect, which S2 still runs, do not have it. The Play:1 reports it: "Every affected
# Play:1 reports `SupportsAudioClip: 1`" (home-assistant/core#182047); "Sonos Play:1's report
# they DO support audio_clip" (music-assistant/server#3009).
ROWS = (
    Hardware("Sonos One", "Sonos One", "S18", "One", False, False, True, "A201",
             SONOS_API_DOCS + "sonos-S18-2.json (95.0-77060)",
             'eclipse-archived/smarthome#4429 ("the player announces itself as \'One\'"); seriesid A201 as '
             "captures of S18 descriptions quoted in public tests show it"),
    Hardware("Sonos One SL", "Sonos One SL", "S38", "One SL", False, False, True, "P100",
             SONOS_API_DOCS + "sonos-S38-2.json (95.0-77060)", NO_CAPTURE),
    Hardware("Sonos Era 100", "Sonos Era 100", "S39", "Era 100", True, False, True, "P200",
             SONOS_API_DOCS + "sonos-S39-2.json (79.1-53290): lists AudioIn (line-in over USB-C)", NO_CAPTURE),
    Hardware("Sonos Five", "Sonos Five", "S24", "Five", True, False, True, "C100", NO_CAPTURE, NO_CAPTURE),
    # S1 on current firmware (svrooij's S2 capture and a swGen 1 capture: friendlyName
    # "192.168.45.130 - Sonos Play:1", modelNumber S1, modelDescription "Sonos Play:1",
    # displayName "Play:1"); S1-era firmware (34.x) wrote "Sonos PLAY:1" and S12.
    Hardware("Play:1", "Sonos Play:1", "S1", "Play:1", False, False, True, "A100",
             SONOS_API_DOCS + "sonos-S1-2.json (86.7-77050)",
             "a swGen 1 capture (57.13-34140) quoted in a public project's description parser"),
    Hardware("Play:5", "Sonos Play:5", "S6", "Play:5", True, False, False, "C100",
             SONOS_API_DOCS + "sonos-S6-2.json (86.4-73290; S5-1.json, the first Play:5, lists the same)",
             "SoCo/SoCo tests/test_core.py (a Play:5 description: displayName Play:5)"),
    Hardware("Sonos Move", "Sonos Move", "S17", "Move", False, False, True, "D100",
             SONOS_API_DOCS + "sonos-S17-2.json (93.1-73290)", NO_CAPTURE),
    Hardware("Sonos Port", "Sonos Port", "S23", "Port", True, False, True, "A102",
             "wez/wez-sonos data/device_spec.xml (78.1-52020: AudioIn, no HTControl, seriesid A102)",
             "wez/wez-sonos data/device_spec.xml"),
    Hardware("Sonos Amp", "Sonos Amp", "S16", "Amp", True, True, True, "A100",
             SONOS_API_DOCS + "sonos-S16-2.json (79.1-53290: AudioIn and HTControl)", NO_CAPTURE),
    Hardware("Sonos Beam", "Sonos Beam", "S14", "Beam", False, True, True, "A101",
             SONOS_API_DOCS + "sonos-S14-2.json (64.3-19080)", NO_CAPTURE),
    Hardware("Sonos Arc", "Sonos Arc", "S19", "Arc", False, True, True, "A101",
             SONOS_API_DOCS + "sonos-S19-2.json (70.1-34112)", NO_CAPTURE),
    # A Playbar's description carries bassExtension and satGainOffset (issue #24; SoCo's
    # tests/test_core.py has both elements, 0.000, in the description it parses).
    Hardware("Sonos Playbar", "Sonos Playbar", "S9", "Playbar", False, True, False, "A100",
             SONOS_API_DOCS + "sonos-S9-2.json (86.7-77050)",
             NO_CAPTURE + " (S1-era firmware, 34.x, wrote PLAYBAR)",
             extra=(("bassExtension", "0.000"), ("satGainOffset", "0.000"))),
    # The Sub Gen 3 reports modelNumber S26 (openhab/openhab-addons#10777); the older ones "Sub".
    Hardware("Sonos Sub", "Sonos Sub", "Sub", "Sub", False, False, False, "B100",
             SONOS_API_DOCS + "sonos-Sub-2.json (63.2-90210)", NO_CAPTURE),
    Hardware("Connect", "Sonos Connect", "ZP90", "Connect", True, False, False, "A100",
             "gotwalt/sonos lib/sonos/device/speaker.rb (ZP90 is the CONNECT); AudioIn: no capture found",
             NO_CAPTURE),
)

HARDWARE: dict[str, Hardware] = {row.key: row for row in ROWS}
# A household file may name a model by its modelName too ("Sonos Play:1" for "Play:1").
ALIASES: dict[str, str] = {row.model_name: row.key for row in ROWS if row.model_name != row.key}


def model_key(name: str) -> str | None:
    """The household-file key for a model named by its key or its modelName (None: no such model)."""
    if name in HARDWARE:
        return name
    return ALIASES.get(name)
