"""What a player serves over HTTP GET: device description, service descriptions (SCPD),
and the ZoneGroupState document, element by element as current firmware sends them.

The services and the actions declared in each are services.py's.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from .firmware import Firmware
from .model import Household, Player
from .services import (
    MEDIA_RENDERER_SERVICES,
    MEDIA_SERVER_SERVICES,
    Service,
    root_services,
)
from .soap import xml_attr, xml_text

_DATA_TYPES = {
    "InstanceID": "ui4", "DesiredVolume": "ui2", "CurrentVolume": "ui2", "NewVolume": "ui2",
    "Adjustment": "i4", "DesiredBass": "i2", "CurrentBass": "i2", "DesiredTreble": "i2",
    "CurrentTreble": "i2", "DesiredMute": "boolean", "CurrentMute": "boolean",
    "DesiredLoudness": "boolean", "CurrentLoudness": "boolean", "DesiredValue": "i2",
    "CurrentValue": "i2", "StartingIndex": "ui4", "RequestedCount": "ui4",
    "NumberReturned": "ui4", "TotalMatches": "ui4", "UpdateID": "ui4", "NrTracks": "ui4",
    "Track": "ui4", "RampTime": "ui4", "ResetVolumeAfter": "boolean", "CrossfadeMode": "boolean",
    "DesiredFixed": "boolean", "CurrentFixed": "boolean", "CurrentSupportsFixed": "boolean",
    "EnqueueAsNext": "boolean", "DesiredFirstTrackNumberEnqueued": "ui4",
    "FirstTrackNumberEnqueued": "ui4", "NumTracksAdded": "ui4", "NewQueueLength": "ui4",
    "CurrentInvisible": "boolean", "DesiredLEDState": "string", "IsIndexing": "boolean",
    "AddAtIndex": "ui4", "NewUpdateID": "ui4", "QueueLengthChange": "i4", "QueueID": "ui4",
    "AvailableServiceListVersion": "string", "CurrentLeftLineInLevel": "i4", "CurrentRightLineInLevel": "i4",
    "RemoteConfigured": "boolean", "ResultCode": "i4",
}
# Evented variables that are not strings.
_EVENTED_TYPES = {
    "GroupMute": "boolean", "GroupVolume": "ui2", "GroupVolumeChangeable": "boolean", "TimeGeneration": "ui4",
    "SystemUpdateID": "ui4", "ShareIndexInProgress": "boolean", "Configuration": "ui4", "Invisible": "boolean",
    "IsZoneBridge": "boolean", "SupportsAudioIn": "boolean", "LineInConnected": "boolean", "Playing": "boolean",
    "LeftLineInLevel": "i4", "RightLineInLevel": "i4", "ServiceListVersion": "string", "TOSLinkConnected": "boolean",
    "GroupCoordinatorIsLocal": "boolean", "ResetVolumeAfter": "boolean", "AlarmRunSequence": "string",
    "WirelessMode": "ui4", "WirelessLeafOnly": "boolean", "HasConfiguredSSID": "boolean", "ChannelFreq": "ui4",
    "BehindWifiExtender": "ui4", "WifiEnabled": "boolean", "SecureRegState": "ui4", "IsIdle": "boolean", "Orientation": "i4",
    "RoomCalibrationState": "i4", "SupportsAudioClip": "boolean", "MicEnabled": "ui4",
}
_ALLOWED = {
    "Channel": ("Master", "LF", "RF"),
    "BrowseFlag": ("BrowseMetadata", "BrowseDirectChildren"),
    "Unit": ("TRACK_NR", "REL_TIME", "TIME_DELTA"),
    "NewPlayMode": ("NORMAL", "REPEAT_ALL", "REPEAT_ONE", "SHUFFLE_NOREPEAT", "SHUFFLE", "SHUFFLE_REPEAT_ONE"),
    "RampType": ("SLEEP_TIMER_RAMP_TYPE", "ALARM_RAMP_TYPE", "AUTOPLAY_RAMP_TYPE"),
}
_DEFAULTS = {"Speed": "1"}
# What LastChange carries, declared as firmware declares it (sendEvents="no": LastChange is the
# event): a client such as async_upnp_client's DmrDevice keeps each value it reads from an event
# in the variable of that name, and has nowhere to put one the SCPD does not declare.
_TRANSPORT_STATES = ("STOPPED", "PLAYING", "PAUSED_PLAYBACK", "TRANSITIONING")
_PLAY_MODES = ("NORMAL", "REPEAT_ALL", "REPEAT_ONE", "SHUFFLE_NOREPEAT", "SHUFFLE", "SHUFFLE_REPEAT_ONE")
_LAST_CHANGE: dict[str, tuple[tuple[str, str, str], ...]] = {
    "AVTransport": (
        ("TransportState", "string", "".join(f"<allowedValue>{v}</allowedValue>" for v in _TRANSPORT_STATES)),
        ("TransportStatus", "string", ""), ("PlaybackStorageMedium", "string", ""), ("RecordStorageMedium", "string", ""),
        ("PossiblePlaybackStorageMedia", "string", ""), ("PossibleRecordStorageMedia", "string", ""),
        ("CurrentPlayMode", "string", "".join(f"<allowedValue>{v}</allowedValue>" for v in _PLAY_MODES)),
        ("TransportPlaySpeed", "string", ""), ("RecordMediumWriteStatus", "string", ""),
        ("CurrentRecordQualityMode", "string", ""), ("PossibleRecordQualityModes", "string", ""),
        ("NumberOfTracks", "ui4", ""), ("CurrentTrack", "ui4", ""), ("CurrentSection", "ui4", ""),
        ("CurrentTrackDuration", "string", ""), ("CurrentMediaDuration", "string", ""),
        ("CurrentTrackMetaData", "string", ""), ("CurrentTrackURI", "string", ""), ("AVTransportURI", "string", ""),
        ("AVTransportURIMetaData", "string", ""), ("NextAVTransportURI", "string", ""),
        ("NextAVTransportURIMetaData", "string", ""), ("CurrentTransportActions", "string", ""),
        ("CurrentCrossfadeMode", "boolean", ""),
    ),
    "RenderingControl": (
        ("Volume", "ui2", "<allowedValueRange><minimum>0</minimum><maximum>100</maximum><step>1</step></allowedValueRange>"),
        ("Mute", "boolean", ""),
        ("Bass", "i2", "<allowedValueRange><minimum>-10</minimum><maximum>10</maximum><step>1</step></allowedValueRange>"),
        ("Treble", "i2", "<allowedValueRange><minimum>-10</minimum><maximum>10</maximum><step>1</step></allowedValueRange>"),
        ("Loudness", "boolean", ""), ("OutputFixed", "boolean", ""), ("HeadphoneConnected", "boolean", ""),
        ("SpeakerSize", "i4", ""), ("SubGain", "i2", ""), ("SubCrossover", "ui4", ""), ("SubPolarity", "ui2", ""),
        ("SubEnabled", "boolean", ""), ("SonarEnabled", "boolean", ""), ("SonarCalibrationAvailable", "boolean", ""),
        ("PresetNameList", "string", ""), ("DialogLevel", "string", ""), ("SpeechEnhanceEnabled", "boolean", ""),
        ("SurroundLevel", "i2", ""), ("MusicSurroundLevel", "i2", ""), ("AudioDelay", "string", ""),
        ("NightMode", "boolean", ""), ("SurroundEnabled", "boolean", ""),
    ),
}


def scpd_xml(service: Service) -> str:
    """The service description: evented variables, one A_ARG_TYPE_<name> per argument name, actions."""
    action_parts = []
    names: list[str] = []
    for action in service.actions:
        arguments = [(name, "in") for name in action.inputs] + [(name, "out") for name in action.outputs]
        argument_xml = "".join(
            f"<argument><name>{name}</name><direction>{direction}</direction>"
            f"<relatedStateVariable>A_ARG_TYPE_{name}</relatedStateVariable></argument>"
            for name, direction in arguments
        )
        argument_list = f"<argumentList>{argument_xml}</argumentList>" if arguments else ""
        action_parts.append(f"<action><name>{action.name}</name>{argument_list}</action>")
        names.extend(name for name, _ in arguments if name not in names)
    evented = "".join(
        f'<stateVariable sendEvents="yes"><name>{name}</name><dataType>{_EVENTED_TYPES.get(name, "string")}</dataType></stateVariable>'
        for name in service.evented
    )
    carried = "".join(
        f'<stateVariable sendEvents="no"><name>{name}</name><dataType>{data_type}</dataType>{allowed}</stateVariable>'
        for name, data_type, allowed in _LAST_CHANGE.get(service.name, ())
    )
    variables = evented + carried + "".join(_state_variable_xml(name) for name in names)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<scpd xmlns="urn:schemas-upnp-org:service-1-0"><specVersion><major>1</major><minor>0</minor></specVersion>'
        f"<serviceStateTable>{variables}</serviceStateTable><actionList>{''.join(action_parts)}</actionList></scpd>"
    )


def _state_variable_xml(name: str) -> str:
    data_type = _DATA_TYPES.get(name, "string")
    allowed = "".join(f"<allowedValue>{value}</allowedValue>" for value in _ALLOWED.get(name, ()))
    allowed_xml = f"<allowedValueList>{allowed}</allowedValueList>" if allowed else ""
    default_xml = f"<defaultValue>{_DEFAULTS[name]}</defaultValue>" if name in _DEFAULTS else ""
    return (
        f'<stateVariable sendEvents="no"><name>A_ARG_TYPE_{name}</name><dataType>{data_type}</dataType>'
        f"{default_xml}{allowed_xml}</stateVariable>"
    )


HARDWARE_VERSION = "1.20.1.6-2.1"
API_VERSION = "1.40.1"
MIN_API_VERSION = "1.1.0"
def mac_address(player: Player) -> str:
    hex_part = player.uid[len("RINCON_"):][:12].ljust(12, "0")
    return ":".join(hex_part[i:i + 2] for i in range(0, 12, 2))


def room_name(household: Household, player: Player) -> str:
    """Both halves of a stereo pair, and satellites, carry their primary's room name."""
    if player.spec.bonded_to is not None:
        return household.players[player.spec.bonded_to].name
    return player.name


def player_services(player: Player) -> tuple[Service, ...]:
    """Every service this player's description lists (AudioIn and HTControl by model)."""
    return root_services(player.has_line_in, player.is_soundbar) + MEDIA_SERVER_SERVICES + MEDIA_RENDERER_SERVICES


def _service_list(services: tuple[Service, ...]) -> str:
    return "<serviceList>" + "".join(
        f"<service><serviceType>{s.service_type}</serviceType><serviceId>{s.service_id}</serviceId>"
        f"<controlURL>{s.control_url}</controlURL><eventSubURL>{s.event_url}</eventSubURL><SCPDURL>{s.scpd_url}</SCPDURL></service>"
        for s in services
    ) + "</serviceList>"


def _icon_list(player: Player, with_id: bool) -> str:
    icon_id = "<id>0</id>" if with_id else ""
    return (
        f"<iconList><icon>{icon_id}<mimetype>image/png</mimetype><width>48</width><height>48</height><depth>24</depth>"
        f"<url>/img/icon-{player.model_number}.png</url></icon></iconList>"
    )


def _embedded_device(player: Player, kind: str, friendly_name: str, services: tuple[Service, ...], extra: str = "") -> str:
    model = escape(player.hardware.model_name)
    suffix = "Media Server" if kind == "MediaServer" else "Media Renderer"
    return (
        f"<device><deviceType>urn:schemas-upnp-org:device:{kind}:1</deviceType>"
        f"<friendlyName>{xml_text(friendly_name)} - {model} {suffix}</friendlyName><manufacturer>Sonos, Inc.</manufacturer>"
        "<manufacturerURL>http://www.sonos.com</manufacturerURL>"
        f"<modelNumber>{player.model_number}</modelNumber><modelDescription>{model} {suffix}</modelDescription>"
        f"<modelName>{model}</modelName><modelURL>http://www.sonos.com/products/zoneplayers/{player.model_number}</modelURL>"
        f"<UDN>uuid:{player.uid}_{'MS' if kind == 'MediaServer' else 'MR'}</UDN>"
        + _service_list(services) + extra + "</device>"
    )


def _renderer_extensions(player: Player) -> str:
    return (
        '<X_Rhapsody-Extension xmlns="http://www.real.com/rhapsody/xmlns/upnp-1-0">'
        f"<deviceID>urn:rhapsody-real-com:device-id-1-0:sonos_1:{player.uid}</deviceID>"
        '<deviceCapabilities><interactionPattern type="real-rhapsody-upnp-1-0"/></deviceCapabilities></X_Rhapsody-Extension>'
        '<qq:X_QPlay_SoftwareCapability xmlns:qq="http://www.tencent.com">QPlay:2</qq:X_QPlay_SoftwareCapability>'
        + _icon_list(player, with_id=False)
    )


def _api_versions(firmware: Firmware) -> str:
    """The local API's versions: an S2 player's description has them, an S1 player serves no local API."""
    if not firmware.local_api:
        return ""
    return f"<apiVersion>{API_VERSION}</apiVersion><minApiVersion>{MIN_API_VERSION}</minApiVersion>"


def device_description(household: Household, player: Player) -> str:
    room = room_name(household, player)
    model = escape(player.hardware.model_name)
    mac = mac_address(player).replace(":", "-")
    firmware = household.spec.firmware
    return (
        '<?xml version="1.0" encoding="utf-8" ?>'
        '<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion>'
        "<device><deviceType>urn:schemas-upnp-org:device:ZonePlayer:1</deviceType>"
        f"<friendlyName>{player.ip} - {model}</friendlyName><manufacturer>Sonos, Inc.</manufacturer>"
        "<manufacturerURL>http://www.sonos.com</manufacturerURL>"
        f"<modelNumber>{player.model_number}</modelNumber><modelDescription>{model}</modelDescription>"
        f"<modelName>{model}</modelName><modelURL>http://www.sonos.com/products/zoneplayers/{player.model_number}</modelURL>"
        f"<softwareVersion>{firmware.software_version}</softwareVersion><swGen>{firmware.sw_gen}</swGen>"
        f"<hardwareVersion>{HARDWARE_VERSION}</hardwareVersion><serialNum>{mac}:E</serialNum>"
        f"<MACAddress>{mac_address(player).upper()}</MACAddress><UDN>uuid:{player.uid}</UDN>"
        + _icon_list(player, with_id=True)
        + f"<minCompatibleVersion>{firmware.min_compatible_version}</minCompatibleVersion>"
        f"<legacyCompatibleVersion>{firmware.legacy_compatible_version}</legacyCompatibleVersion>"
        + _api_versions(firmware)
        + f"<displayVersion>{firmware.display_version}</displayVersion><extraVersion></extraVersion>"
        f"<roomName>{xml_text(room)}</roomName><displayName>{escape(player.hardware.display_name)}</displayName><zoneType>11</zoneType>"
        "<feature1>0x00000000</feature1><feature2>0x00403332</feature2><feature3>0x0001100e</feature3>"
        f"<seriesid>{player.hardware.series_id}</seriesid><variant>{firmware.variant}</variant>"
        "<internalSpeakerSize>5</internalSpeakerSize>"
        + "".join(f"<{name}>{value}</{name}>" for name, value in player.hardware.extra)
        + "<memory>1024</memory><flash>3072</flash>"
        "<ampOnTime>10</ampOnTime><retailMode>0</retailMode>"
        + _service_list(root_services(player.has_line_in, player.is_soundbar))
        + "<deviceList>"
        + _embedded_device(player, "MediaServer", player.ip, MEDIA_SERVER_SERVICES)
        + _embedded_device(player, "MediaRenderer", room, MEDIA_RENDERER_SERVICES, _renderer_extensions(player))
        + "</deviceList></device></root>"
    )


def zone_group_state(household: Household) -> str:
    """The same document from every player: visible members, the invisible members of a bonded
    set (a stereo pair's right speaker, a Sub bonded to a speaker or a pair), satellites."""
    groups = []
    for coordinator in household.coordinators():
        members = household.group_members(coordinator)
        member_xml = "".join(
            _member_xml(household, member) for member in members if not is_satellite(household, member)
        )
        groups.append(
            f"<ZoneGroup Coordinator={quoteattr(coordinator.uid)} ID={quoteattr(household.group_id(coordinator))}>{member_xml}</ZoneGroup>"
        )
    vanished = "".join(
        f"<Device UUID={quoteattr(p.uid)} ZoneName={xml_attr(room_name(household, p))} Reason=\"powered off\" Retries=\"3\" />"
        for p in household.players.values()
        if p.uid in household.forgotten
    )
    return (
        f"<ZoneGroupState><ZoneGroups>{''.join(groups)}</ZoneGroups>"
        f"<VanishedDevices>{vanished}</VanishedDevices></ZoneGroupState>"
    )


def _bonded(household: Household, primary: Player, *channels: str) -> list[Player]:
    return [
        p for p in household.players.values()
        if p.spec.bonded_to == primary.key and p.spec.channel in channels and p.uid not in household.forgotten
    ]


def _primary(household: Household, player: Player) -> Player:
    return household.players[player.spec.bonded_to] if player.spec.bonded_to else player


def is_satellite(household: Household, player: Player) -> bool:
    """Listed as a <Satellite> of its primary with HTSatChanMapSet: surrounds, and the Sub of a
    home-theatre player (HTControl) that has no stereo partner. Any other bonded player (a stereo
    pair's right speaker, a Sub bonded to a speaker or to a pair) is an invisible ZoneGroupMember
    of the set, as real players list them (SoCo/SoCo#870: two Play:1s and a Sub)."""
    if player.spec.channel in ("LR", "RR"):
        return True
    if player.spec.channel == "SW":
        primary = _primary(household, player)
        return primary.is_soundbar and not _bonded(household, primary, "RF")
    return False


def channel_map_set(household: Household, player: Player) -> str:
    """The ChannelMapSet every member of a bonded set carries, the same on each: a stereo pair
    "L:LF,LF;R:RF,RF", with a Sub ";S:SW,SW" after them (SoCo/SoCo#870: "RINCON_L:LF,LF;
    RINCON_R:RF,RF;RINCON_SUB:SW,SW" on the three); one speaker with a Sub "P:LF,RF;S:SW,SW"
    (a 19.3 capture of an Office speaker and its Sub). Empty for a player in no such set."""
    if is_satellite(household, player):
        return ""
    primary = _primary(household, player)
    right = _bonded(household, primary, "RF")
    subs = [sub for sub in _bonded(household, primary, "SW") if not is_satellite(household, sub)]
    if not right and not subs:
        return ""
    entries = [f"{primary.uid}:LF,LF", f"{right[0].uid}:RF,RF"] if right else [f"{primary.uid}:LF,RF"]
    return ";".join(entries + [f"{sub.uid}:SW,SW" for sub in subs])


def home_theatre_map(household: Household, player: Player) -> str:
    """HTSatChanMapSet: the home-theatre player carries every satellite, a satellite only itself
    (openhab/openhab-addons#9874 for the full map on an Arc, home-assistant/core#57884 for a
    Satellite's own). Empty for a player in no home theatre."""
    primary = _primary(household, player)
    satellites = [p for p in _bonded(household, primary, "SW", "LR", "RR") if is_satellite(household, p)]
    shown = satellites if player is primary else [s for s in satellites if s is player]
    if not shown:
        return ""
    return f"{primary.uid}:LF,RF;" + ";".join(f"{s.uid}:{s.spec.channel}" for s in shown)


def _member_xml(household: Household, player: Player) -> str:
    """A ZoneGroupMember: its ChannelMapSet if in a bonded set, or for a home-theatre player its
    HTSatChanMapSet and a Satellite element, with its own map, for each satellite."""
    ht_map = home_theatre_map(household, player)
    channel_map = f' HTSatChanMapSet="{ht_map}"' if ht_map else ""
    pair_map = channel_map_set(household, player)
    if pair_map:
        channel_map = f' ChannelMapSet="{pair_map}"'
    satellites = [p for p in _bonded(household, player, "SW", "LR", "RR") if is_satellite(household, p)]
    satellite_xml = "".join(
        f'<Satellite {_member_attributes(household, s, f" HTSatChanMapSet={quoteattr(home_theatre_map(household, s))}")}/>'
        for s in satellites
    )
    return f"<ZoneGroupMember {_member_attributes(household, player, channel_map)}>{satellite_xml}</ZoneGroupMember>"


def _member_attributes(household: Household, player: Player, channel_map: str) -> str:
    """Attributes in current firmware's order; IdleState is 0 while the player's group plays."""
    invisible = ' Invisible="1"' if player.is_bonded else ""
    firmware = household.spec.firmware
    transport = household.coordinator(player).transport
    idle = "0" if transport.state in ("PLAYING", "TRANSITIONING") else "1"
    virtual_line_in = ' VirtualLineInSource="spotify"' if transport.kind == "cloud" and player.transport.kind != "member" else ""
    return (
        f'UUID="{player.uid}" Location="http://{player.ip}:1400/xml/device_description.xml" '
        f'ZoneName={xml_attr(room_name(household, player))} Icon="" Configuration="1"{invisible} '
        f'SoftwareVersion="{firmware.software_version}" SWGen="{firmware.sw_gen}" '
        f'MinCompatibleVersion="{firmware.min_compatible_version}" '
        f'LegacyCompatibleVersion="{firmware.legacy_compatible_version}"{channel_map} ActiveZoneID="{household.active_zone_id}" '
        f'BootSeq="{player.boot_seq}" TVConfigurationError="0" HdmiCecAvailable="{int(player.is_soundbar)}" '
        f'WirelessMode="0" ConnectionType="1" ChannelFreq="2437" BehindWifiExtender="0" WifiEnabled="1" EthLink="1" '
        f'Orientation="0" RoomCalibrationState="4" SecureRegState="3" VoiceConfigState="0" MicEnabled="0" '
        f'HeadphoneSwapActive="0" AirPlayEnabled="1"{virtual_line_in} IdleState="{idle}" MoreInfo=""'
        + (' SSLPort="1443" HHSSLPort="1843"' if firmware.local_api else "")
    )
