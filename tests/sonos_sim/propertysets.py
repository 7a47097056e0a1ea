"""What the services evented as plain properties (not AVTransport's or RenderingControl's
LastChange) send: the names, order and value forms of captures of real players, and the values
SOAP polling answers for the same state.

Sources of the captures, by service:
- DeviceProperties: svrooij/node-sonos-ts tests/services/device-properties.service.test.ts
  (an S2 player's whole event); MicEnabled and MoreInfo as Home Assistant's Sonos tests send
  them (home-assistant/core tests/components/sonos/conftest.py, device_properties_event).
- AlarmClock: svrooij/node-sonos-ts tests/services/alarm-clock.service.test.ts and Home
  Assistant's alarm_event fixture (same seven variables, same order).
- ContentDirectory: a logged SEQ 0 NOTIFY of a 19.3 player (found by the code search, an
  iViewer debug log) for the names and "<uid>,<n>" forms; FavoritesUpdateID and
  ContainerUpdateIDs' "FV:2,<n>" as Home Assistant reads them (components/sonos/favorites.py).
- Queue: svrooij/node-sonos-ts tests/services/queue.service.test.ts (LastChange per QueueID).
- GroupRenderingControl: GroupVolume, GroupMute, GroupVolumeChangeable, as in
  svrooij/sonos-api-docs docs/services/group-rendering-control.md and the captures a Rust
  Sonos SDK's event parser is tested with.
- ConnectionManager (MediaRenderer's and MediaServer's): svrooij/node-sonos-ts
  tests/services/connection-manager.service.test.ts (SourceProtocolInfo empty, the sink
  protocols, CurrentConnectionIDs empty), the values GetProtocolInfo and
  GetCurrentConnectionIDs answer.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from .actions import alarm_list_version, flag, group_mute, group_volume, room_of
from .descriptions import channel_map_set, home_theatre_map
from .minor_services import PROTOCOLS
from .model import Household, Player
from .soap import xml_text

Properties = list[tuple[str, str]]

TIME_SERVER = "0.sonostime.pool.ntp.org,1.sonostime.pool.ntp.org,2.sonostime.pool.ntp.org,3.sonostime.pool.ntp.org"


def device_properties(household: Household, player: Player) -> Properties:
    """The room as GetZoneAttributes and GetInvisible answer it; radio and state as ZoneGroupState has them."""
    room = room_of(household, player)
    return [
        ("ZoneName", room.name),
        ("Icon", room.icon),
        ("Configuration", room.configuration),
        ("Invisible", flag(player.is_bonded)),
        ("IsZoneBridge", "0"),
        ("WirelessMode", "0"),
        ("WirelessLeafOnly", "0"),
        ("HasConfiguredSSID", "0"),
        ("ChannelFreq", "2437"),
        ("BehindWifiExtender", "0"),
        ("WifiEnabled", "1"),
        ("SecureRegState", "3"),
        ("IsIdle", flag(is_idle(household, player))),
        ("MoreInfo", ""),
        ("ChannelMapSet", channel_map_set(household, player)),
        ("HTSatChanMapSet", home_theatre_map(household, player)),
        ("Orientation", "0"),
        ("RoomCalibrationState", "4"),
        ("SupportsAudioIn", flag(player.has_line_in)),
        ("SupportsAudioClip", flag(player.plays_clips and household.spec.firmware.local_api)),
        ("MicEnabled", "0"),
    ]


def is_idle(household: Household, player: Player) -> bool:
    """ZoneGroupState's IdleState: the player's group neither plays nor is about to."""
    return household.coordinator(player).transport.state not in ("PLAYING", "TRANSITIONING")


def alarm_clock(household: Household, player: Player) -> Properties:
    """No alarms and a clock that is never set: only AlarmListVersion is ListAlarms' own."""
    return [
        ("TimeZone", "00000a000502000003000501ffc4"),
        ("TimeServer", TIME_SERVER),
        ("TimeGeneration", "1"),
        ("AlarmListVersion", alarm_list_version(player)),
        ("TimeFormat", "INV"),
        ("DateFormat", "INV"),
        ("DailyIndexRefreshTime", "02:00:00"),
    ]


def content_directory(household: Household, player: Player) -> Properties:
    """Household-wide ids: favourites (FV:2) and saved queues (SQ:) as their Browse's UpdateID."""
    favorites, saved_queues = household.favorites_update_id, household.saved_queues_update_id
    origin = next(iter(household.players.values())).uid
    return [
        ("SystemUpdateID", "1"),
        ("ContainerUpdateIDs", f"FV:2,{favorites},SQ:,{saved_queues}"),
        ("ShareListRefreshState", "NOTRUN"),
        ("ShareIndexInProgress", "0"),
        ("ShareIndexLastError", ""),
        ("RadioFavoritesUpdateID", f"{origin},1"),
        ("RadioLocationUpdateID", f"{origin},1"),
        ("SavedQueuesUpdateID", f"{origin},{saved_queues}"),
        ("ShareListUpdateID", f"{origin},1"),
        ("RecentlyPlayedUpdateID", f"{origin},1"),
        ("FavoritesUpdateID", f"{origin},{favorites}"),
    ]


def queue(household: Household, player: Player) -> Properties:
    """The group's queue (QueueID 0) with the UpdateID its Browse answers."""
    update_id = household.coordinator(player).queue_update_id
    last_change = (
        '<Event xmlns="urn:schemas-sonos-com:metadata-1-0/Queue/">'
        f'<QueueID val="0"><UpdateID val={quoteattr(str(update_id))}/><Curated val="0"/><QueueOwnerID val=""/></QueueID>'
        "</Event>"
    )
    return [("LastChange", last_change)]


def group_rendering_control(household: Household, player: Player) -> Properties:
    """The group's volume and mute as GetGroupVolume and GetGroupMute answer them on its coordinator."""
    members = household.visible_members(household.coordinator(player))
    changeable = not all(member.output_fixed for member in members)
    return [
        ("GroupVolume", str(group_volume(members))),
        ("GroupMute", flag(group_mute(members))),
        ("GroupVolumeChangeable", flag(changeable)),
    ]


def connection_manager(household: Household, player: Player) -> Properties:
    """GetProtocolInfo's Source and Sink and GetCurrentConnectionIDs' answer: nothing ever changes them."""
    return [("SourceProtocolInfo", ""), ("SinkProtocolInfo", PROTOCOLS), ("CurrentConnectionIDs", "")]


def propertyset(properties: Properties) -> str:
    """The NOTIFY body: one e:property per variable."""
    inner = "".join(f"<e:property><{name}>{xml_text(value)}</{name}></e:property>" for name, value in properties)
    return f'<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0">{inner}</e:propertyset>'
