"""What a player serves over HTTP GET: device description, service descriptions (SCPD),
and the ZoneGroupState document.

Only the actions the simulator implements are declared, with the argument names and order of
real Sonos firmware, because SoCo composes keyword calls from these lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from .model import Household, Player


@dataclass(frozen=True)
class Action:
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class Service:
    name: str  # e.g. AVTransport
    control_url: str
    event_url: str
    actions: tuple[Action, ...]

    @property
    def service_type(self) -> str:
        return f"urn:schemas-upnp-org:service:{self.name}:1"

    @property
    def scpd_url(self) -> str:
        return f"/xml/{self.name}1.xml"

    def action(self, name: str) -> Action | None:
        for action in self.actions:
            if action.name == name:
                return action
        return None


def _actions(table: str) -> tuple[Action, ...]:
    """Parse lines of `Name: In1, In2 -> Out1, Out2`."""
    actions = []
    for line in table.strip().splitlines():
        name, _, signature = line.partition(":")
        inputs, _, outputs = signature.partition("->")
        actions.append(
            Action(
                name=name.strip(),
                inputs=tuple(a.strip() for a in inputs.split(",") if a.strip()),
                outputs=tuple(a.strip() for a in outputs.split(",") if a.strip()),
            )
        )
    return tuple(actions)


AV_TRANSPORT = Service("AVTransport", "/MediaRenderer/AVTransport/Control", "/MediaRenderer/AVTransport/Event", _actions("""
SetAVTransportURI: InstanceID, CurrentURI, CurrentURIMetaData ->
AddURIToQueue: InstanceID, EnqueuedURI, EnqueuedURIMetaData, DesiredFirstTrackNumberEnqueued, EnqueueAsNext -> FirstTrackNumberEnqueued, NumTracksAdded, NewQueueLength
RemoveAllTracksFromQueue: InstanceID ->
RemoveTrackFromQueue: InstanceID, ObjectID, UpdateID ->
GetMediaInfo: InstanceID -> NrTracks, MediaDuration, CurrentURI, CurrentURIMetaData, NextURI, NextURIMetaData, PlayMedium, RecordMedium, WriteStatus
GetTransportInfo: InstanceID -> CurrentTransportState, CurrentTransportStatus, CurrentSpeed
GetPositionInfo: InstanceID -> Track, TrackDuration, TrackMetaData, TrackURI, RelTime, AbsTime, RelCount, AbsCount
GetTransportSettings: InstanceID -> PlayMode, RecQualityMode
GetCrossfadeMode: InstanceID -> CrossfadeMode
GetCurrentTransportActions: InstanceID -> Actions
GetRemainingSleepTimerDuration: InstanceID -> RemainingSleepTimerDuration, CurrentSleepTimerGeneration
ConfigureSleepTimer: InstanceID, NewSleepTimerDuration ->
Stop: InstanceID ->
Play: InstanceID, Speed ->
Pause: InstanceID ->
Seek: InstanceID, Unit, Target ->
Next: InstanceID ->
Previous: InstanceID ->
SetPlayMode: InstanceID, NewPlayMode ->
SetCrossfadeMode: InstanceID, CrossfadeMode ->
BecomeCoordinatorOfStandaloneGroup: InstanceID -> DelegatedGroupCoordinatorID, NewGroupID
"""))

RENDERING_CONTROL = Service("RenderingControl", "/MediaRenderer/RenderingControl/Control", "/MediaRenderer/RenderingControl/Event", _actions("""
GetMute: InstanceID, Channel -> CurrentMute
SetMute: InstanceID, Channel, DesiredMute ->
GetVolume: InstanceID, Channel -> CurrentVolume
SetVolume: InstanceID, Channel, DesiredVolume ->
SetRelativeVolume: InstanceID, Channel, Adjustment -> NewVolume
GetBass: InstanceID -> CurrentBass
SetBass: InstanceID, DesiredBass ->
GetTreble: InstanceID -> CurrentTreble
SetTreble: InstanceID, DesiredTreble ->
GetLoudness: InstanceID, Channel -> CurrentLoudness
SetLoudness: InstanceID, Channel, DesiredLoudness ->
GetEQ: InstanceID, EQType -> CurrentValue
SetEQ: InstanceID, EQType, DesiredValue ->
GetOutputFixed: InstanceID -> CurrentFixed
SetOutputFixed: InstanceID, DesiredFixed ->
GetSupportsOutputFixed: InstanceID -> CurrentSupportsFixed
RampToVolume: InstanceID, Channel, RampType, DesiredVolume, ResetVolumeAfter, ProgramURI -> RampTime
GetRoomCalibrationStatus: InstanceID -> RoomCalibrationEnabled, RoomCalibrationAvailable
"""))

GROUP_RENDERING_CONTROL = Service("GroupRenderingControl", "/MediaRenderer/GroupRenderingControl/Control", "/MediaRenderer/GroupRenderingControl/Event", _actions("""
GetGroupMute: InstanceID -> CurrentMute
SetGroupMute: InstanceID, DesiredMute ->
GetGroupVolume: InstanceID -> CurrentVolume
SetGroupVolume: InstanceID, DesiredVolume ->
SetRelativeGroupVolume: InstanceID, Adjustment -> NewVolume
SnapshotGroupVolume: InstanceID ->
"""))

ZONE_GROUP_TOPOLOGY = Service("ZoneGroupTopology", "/ZoneGroupTopology/Control", "/ZoneGroupTopology/Event", _actions("""
GetZoneGroupState: -> ZoneGroupState
GetZoneGroupAttributes: -> CurrentZoneGroupName, CurrentZoneGroupID, CurrentZonePlayerUUIDsInGroup, CurrentMuseHouseholdId
"""))

DEVICE_PROPERTIES = Service("DeviceProperties", "/DeviceProperties/Control", "/DeviceProperties/Event", _actions("""
GetHouseholdID: -> CurrentHouseholdID
GetZoneAttributes: -> CurrentZoneName, CurrentIcon, CurrentConfiguration, CurrentTargetRoomName
GetZoneInfo: -> SerialNumber, SoftwareVersion, DisplaySoftwareVersion, HardwareVersion, IPAddress, MACAddress, CopyrightInfo, ExtraInfo, HTAudioIn, Flags
GetInvisible: -> CurrentInvisible
GetLEDState: -> CurrentLEDState
SetLEDState: DesiredLEDState ->
GetButtonLockState: -> CurrentButtonLockState
"""))

CONTENT_DIRECTORY = Service("ContentDirectory", "/MediaServer/ContentDirectory/Control", "/MediaServer/ContentDirectory/Event", _actions("""
Browse: ObjectID, BrowseFlag, Filter, StartingIndex, RequestedCount, SortCriteria -> Result, NumberReturned, TotalMatches, UpdateID
GetShareIndexInProgress: -> IsIndexing
GetAlbumArtistDisplayOption: -> AlbumArtistDisplayOption
RefreshShareIndex: AlbumArtistDisplayOption ->
"""))

ALARM_CLOCK = Service("AlarmClock", "/AlarmClock/Control", "/AlarmClock/Event", _actions("""
ListAlarms: -> CurrentAlarmList, CurrentAlarmListVersion
"""))

ROOT_SERVICES = (ALARM_CLOCK, DEVICE_PROPERTIES, ZONE_GROUP_TOPOLOGY)
MEDIA_SERVER_SERVICES = (CONTENT_DIRECTORY,)
MEDIA_RENDERER_SERVICES = (RENDERING_CONTROL, AV_TRANSPORT, GROUP_RENDERING_CONTROL)
ALL_SERVICES = ROOT_SERVICES + MEDIA_SERVER_SERVICES + MEDIA_RENDERER_SERVICES
BY_CONTROL_URL = {service.control_url: service for service in ALL_SERVICES}
BY_SCPD_URL = {service.scpd_url: service for service in ALL_SERVICES}

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
}
_ALLOWED = {
    "Channel": ("Master", "LF", "RF"),
    "BrowseFlag": ("BrowseMetadata", "BrowseDirectChildren"),
    "Unit": ("TRACK_NR", "REL_TIME", "TIME_DELTA"),
    "NewPlayMode": ("NORMAL", "REPEAT_ALL", "REPEAT_ONE", "SHUFFLE_NOREPEAT", "SHUFFLE", "SHUFFLE_REPEAT_ONE"),
    "RampType": ("SLEEP_TIMER_RAMP_TYPE", "ALARM_RAMP_TYPE", "AUTOPLAY_RAMP_TYPE"),
}
_DEFAULTS = {"Speed": "1"}


def scpd_xml(service: Service) -> str:
    """The service description, with one A_ARG_TYPE_<name> state variable per argument name."""
    action_parts = []
    names: list[str] = []
    for action in service.actions:
        arguments = [(name, "in") for name in action.inputs] + [(name, "out") for name in action.outputs]
        argument_xml = "".join(
            f"<argument><name>{name}</name><direction>{direction}</direction>"
            f"<relatedStateVariable>A_ARG_TYPE_{name}</relatedStateVariable></argument>"
            for name, direction in arguments
        )
        action_parts.append(f"<action><name>{action.name}</name><argumentList>{argument_xml}</argumentList></action>")
        names.extend(name for name, _ in arguments if name not in names)
    variables = "".join(_state_variable_xml(name) for name in names)
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


SOFTWARE_VERSION = "85.0-64200"
DISPLAY_VERSION = "16.6"
HARDWARE_VERSION = "1.20.1.6-2.1"


def mac_address(player: Player) -> str:
    hex_part = player.uid[len("RINCON_"):][:12].ljust(12, "0")
    return ":".join(hex_part[i:i + 2] for i in range(0, 12, 2))


def room_name(household: Household, player: Player) -> str:
    """Both halves of a stereo pair, and satellites, carry their primary's room name."""
    if player.spec.bonded_to is not None:
        return household.players[player.spec.bonded_to].name
    return player.name


def device_description(household: Household, player: Player) -> str:
    def service_list(services: tuple[Service, ...]) -> str:
        return "<serviceList>" + "".join(
            f"<service><serviceType>{s.service_type}</serviceType><serviceId>urn:upnp-org:serviceId:{s.name}</serviceId>"
            f"<controlURL>{s.control_url}</controlURL><eventSubURL>{s.event_url}</eventSubURL><SCPDURL>{s.scpd_url}</SCPDURL></service>"
            for s in services
        ) + "</serviceList>"

    room = escape(room_name(household, player))
    model = escape(player.spec.model)
    mac = mac_address(player).replace(":", "-")
    return (
        '<?xml version="1.0" encoding="utf-8" ?>'
        '<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion>'
        "<device><deviceType>urn:schemas-upnp-org:device:ZonePlayer:1</deviceType>"
        f"<friendlyName>{player.ip} - {model}</friendlyName><manufacturer>Sonos, Inc.</manufacturer>"
        "<manufacturerURL>http://www.sonos.com</manufacturerURL>"
        f"<modelNumber>{player.model_number}</modelNumber><modelDescription>Sonos {model}</modelDescription>"
        f"<modelName>{model}</modelName><modelURL>http://www.sonos.com/products/zoneplayers/{player.model_number}</modelURL>"
        f"<softwareVersion>{SOFTWARE_VERSION}</softwareVersion><swGen>2</swGen>"
        f"<hardwareVersion>{HARDWARE_VERSION}</hardwareVersion><serialNum>{mac}:E</serialNum>"
        f"<MACAddress>{mac_address(player).upper()}</MACAddress>"
        f"<UDN>uuid:{player.uid}</UDN><minCompatibleVersion>84.0-00000</minCompatibleVersion>"
        f"<displayVersion>{DISPLAY_VERSION}</displayVersion><extraVersion></extraVersion>"
        f"<roomName>{room}</roomName><displayName>{model}</displayName><zoneType>11</zoneType>"
        f"<iconList><icon><id>0</id><mimetype>image/png</mimetype><width>48</width><height>48</height><depth>24</depth>"
        f"<url>/img/icon-{player.model_number}.png</url></icon></iconList>"
        f"<internalSpeakerSize>5</internalSpeakerSize><feature1>0x00000000</feature1>"
        + service_list(ROOT_SERVICES)
        + "<deviceList>"
        "<device><deviceType>urn:schemas-upnp-org:device:MediaServer:1</deviceType>"
        f"<friendlyName>{player.ip} - {model} Media Server</friendlyName><manufacturer>Sonos, Inc.</manufacturer>"
        f"<modelNumber>{player.model_number}</modelNumber><modelName>{model}</modelName>"
        f"<UDN>uuid:{player.uid}_MS</UDN>" + service_list(MEDIA_SERVER_SERVICES) + "</device>"
        "<device><deviceType>urn:schemas-upnp-org:device:MediaRenderer:1</deviceType>"
        f"<friendlyName>{room} - {model}</friendlyName><manufacturer>Sonos, Inc.</manufacturer>"
        f"<modelNumber>{player.model_number}</modelNumber><modelName>{model}</modelName>"
        f"<UDN>uuid:{player.uid}_MR</UDN>" + service_list(MEDIA_RENDERER_SERVICES) + "</device>"
        "</deviceList></device></root>"
    )


def zone_group_state(household: Household) -> str:
    """The same document from every player: visible members, stereo-pair slaves, satellites."""
    groups = []
    for coordinator in household.coordinators():
        members = household.group_members(coordinator)
        member_xml = "".join(
            _member_xml(household, member, members)
            for member in members
            if member.spec.channel in (None, "RF")
        )
        groups.append(
            f"<ZoneGroup Coordinator={quoteattr(coordinator.uid)} ID={quoteattr(household.group_id(coordinator))}>{member_xml}</ZoneGroup>"
        )
    vanished = "".join(
        f"<Device UUID={quoteattr(p.uid)} ZoneName={quoteattr(room_name(household, p))} Reason=\"powered off\" Retries=\"3\" />"
        for p in household.players.values()
        if p.uid in household.forgotten
    )
    return (
        f"<ZoneGroupState><ZoneGroups>{''.join(groups)}</ZoneGroups>"
        f"<VanishedDevices>{vanished}</VanishedDevices></ZoneGroupState>"
    )


def _member_xml(household: Household, player: Player, group: list[Player]) -> str:
    attributes = _member_attributes(household, player)
    pair = [p for p in group if p.spec.bonded_to == player.name and p.spec.channel == "RF"]
    primary = household.players[player.spec.bonded_to] if player.spec.bonded_to else player
    if player.spec.channel == "RF" or pair:
        slave = player if player.spec.channel == "RF" else pair[0]
        attributes += f' ChannelMapSet="{primary.uid}:LF,LF;{slave.uid}:RF,RF"'
    satellites = [p for p in group if p.spec.bonded_to == player.name and p.spec.channel not in (None, "RF")]
    ht_map = ""
    if satellites:
        ht_map = f"{player.uid}:LF,RF;" + ";".join(f"{s.uid}:{s.spec.channel}" for s in satellites)
        attributes += f' HTSatChanMapSet="{ht_map}"'
    if player.is_bonded:
        attributes += ' Invisible="1"'
    satellite_xml = "".join(
        f'<Satellite {_member_attributes(household, s)} HTSatChanMapSet="{ht_map}" Invisible="1"/>' for s in satellites
    )
    return f"<ZoneGroupMember {attributes}>{satellite_xml}</ZoneGroupMember>"


def _member_attributes(household: Household, player: Player) -> str:
    return (
        f'UUID="{player.uid}" Location="http://{player.ip}:1400/xml/device_description.xml" '
        f"ZoneName={quoteattr(room_name(household, player))} Icon=\"\" Configuration=\"1\" "
        f'SoftwareVersion="{SOFTWARE_VERSION}" SWGen="2" MinCompatibleVersion="84.0-00000" '
        f'LegacyCompatibleVersion="58.0-00000" BootSeq="{player.boot_seq}" TVConfigurationError="0" '
        f'HdmiCecAvailable="0" WirelessMode="0" WirelessLeafOnly="0" ChannelFreq="2437" '
        f'BehindWifiExtender="0" WifiEnabled="1" EthLink="1" Orientation="0" RoomCalibrationState="4" '
        f'SecureRegState="3" VoiceConfigState="0" MicEnabled="0" AirPlayEnabled="1" IdleState="1" '
        f'MoreInfo="" SSLPort="1443" HHSSLPort="1843"'
    )
