"""The UPnP services a player lists, and the actions the simulator declares in each.

Every service a real player lists in its device description is here, at the same control,
event and SCPD URLs. A service's SCPD declares the actions the simulator models, with the
argument names and order of real Sonos firmware (SoCo composes keyword calls from these
lists); any other action is answered with UPnP error 401, as a player answers an action its
SCPD does not declare. `evented` are the state variables a real player marks sendEvents="yes".
"""

from __future__ import annotations

from dataclasses import dataclass


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
    evented: tuple[str, ...] = ()
    domain: str = "schemas-upnp-org"

    @property
    def service_type(self) -> str:
        return f"urn:{self.domain}:service:{self.name}:1"

    @property
    def service_id(self) -> str:
        return f"urn:{self.domain.replace('schemas-', '')}:serviceId:{self.name}"

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
SaveQueue: InstanceID, Title, ObjectID -> AssignedObjectID
CreateSavedQueue: InstanceID, Title, EnqueuedURI, EnqueuedURIMetaData -> NumTracksAdded, NewQueueLength, AssignedObjectID, NewUpdateID
AddURIToSavedQueue: InstanceID, ObjectID, UpdateID, EnqueuedURI, EnqueuedURIMetaData, AddAtIndex -> NumTracksAdded, NewQueueLength, NewUpdateID
ReorderTracksInSavedQueue: InstanceID, ObjectID, UpdateID, TrackList, NewPositionList -> QueueLengthChange, NewQueueLength, NewUpdateID
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
"""), evented=("LastChange",))

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
"""), evented=("LastChange",))

GROUP_RENDERING_CONTROL = Service("GroupRenderingControl", "/MediaRenderer/GroupRenderingControl/Control", "/MediaRenderer/GroupRenderingControl/Event", _actions("""
GetGroupMute: InstanceID -> CurrentMute
SetGroupMute: InstanceID, DesiredMute ->
GetGroupVolume: InstanceID -> CurrentVolume
SetGroupVolume: InstanceID, DesiredVolume ->
SetRelativeGroupVolume: InstanceID, Adjustment -> NewVolume
SnapshotGroupVolume: InstanceID ->
"""), evented=("GroupMute", "GroupVolume", "GroupVolumeChangeable"))

ZONE_GROUP_TOPOLOGY = Service("ZoneGroupTopology", "/ZoneGroupTopology/Control", "/ZoneGroupTopology/Event", _actions("""
GetZoneGroupState: -> ZoneGroupState
GetZoneGroupAttributes: -> CurrentZoneGroupName, CurrentZoneGroupID, CurrentZonePlayerUUIDsInGroup, CurrentMuseHouseholdId
"""), evented=("AvailableSoftwareUpdate", "ZoneGroupState", "ThirdPartyMediaServersX", "AlarmRunSequence", "MuseHouseholdId",
               "ZoneGroupName", "ZoneGroupID", "ZonePlayerUUIDsInGroup", "AreasUpdateID", "SourceAreasUpdateID", "NetsettingsUpdateID"))

DEVICE_PROPERTIES = Service("DeviceProperties", "/DeviceProperties/Control", "/DeviceProperties/Event", _actions("""
GetHouseholdID: -> CurrentHouseholdID
GetZoneAttributes: -> CurrentZoneName, CurrentIcon, CurrentConfiguration, CurrentTargetRoomName
SetZoneAttributes: DesiredZoneName, DesiredIcon, DesiredConfiguration, DesiredTargetRoomName ->
GetZoneInfo: -> SerialNumber, SoftwareVersion, DisplaySoftwareVersion, HardwareVersion, IPAddress, MACAddress, CopyrightInfo, ExtraInfo, HTAudioIn, Flags
GetInvisible: -> CurrentInvisible
GetLEDState: -> CurrentLEDState
SetLEDState: DesiredLEDState ->
GetButtonLockState: -> CurrentButtonLockState
"""), evented=("ZoneName", "Icon", "Configuration", "Invisible", "IsZoneBridge", "WirelessMode", "WirelessLeafOnly", "HasConfiguredSSID",
               "ChannelFreq", "BehindWifiExtender", "WifiEnabled", "SecureRegState", "IsIdle", "MoreInfo", "ChannelMapSet",
               "HTSatChanMapSet", "Orientation", "RoomCalibrationState", "SupportsAudioIn", "SupportsAudioClip", "MicEnabled"))

CONTENT_DIRECTORY = Service("ContentDirectory", "/MediaServer/ContentDirectory/Control", "/MediaServer/ContentDirectory/Event", _actions("""
Browse: ObjectID, BrowseFlag, Filter, StartingIndex, RequestedCount, SortCriteria -> Result, NumberReturned, TotalMatches, UpdateID
CreateObject: ContainerID, Elements -> ObjectID, Result
UpdateObject: ObjectID, CurrentTagValue, NewTagValue ->
DestroyObject: ObjectID ->
GetShareIndexInProgress: -> IsIndexing
GetAlbumArtistDisplayOption: -> AlbumArtistDisplayOption
RefreshShareIndex: AlbumArtistDisplayOption ->
"""), evented=("SystemUpdateID", "ContainerUpdateIDs", "ShareListRefreshState", "ShareIndexInProgress", "ShareIndexLastError",
               "RadioFavoritesUpdateID", "RadioLocationUpdateID", "SavedQueuesUpdateID", "ShareListUpdateID", "RecentlyPlayedUpdateID",
               "FavoritesUpdateID"))

ALARM_CLOCK = Service("AlarmClock", "/AlarmClock/Control", "/AlarmClock/Event", _actions("""
ListAlarms: -> CurrentAlarmList, CurrentAlarmListVersion
"""), evented=("TimeZone", "TimeServer", "TimeGeneration", "AlarmListVersion", "DailyIndexRefreshTime", "TimeFormat", "DateFormat"))

MUSIC_SERVICES = Service("MusicServices", "/MusicServices/Control", "/MusicServices/Event", _actions("""
ListAvailableServices: -> AvailableServiceDescriptorList, AvailableServiceTypeList, AvailableServiceListVersion
"""), evented=("ServiceListVersion",))

SYSTEM_PROPERTIES = Service("SystemProperties", "/SystemProperties/Control", "/SystemProperties/Event", _actions("""
SetString: VariableName, StringValue ->
GetString: VariableName -> StringValue
GetRDM: -> RDMValue
"""), evented=("CustomerID", "UpdateID", "UpdateIDX", "VoiceUpdateID", "ThirdPartyHash"))

GROUP_MANAGEMENT = Service("GroupManagement", "/GroupManagement/Control", "/GroupManagement/Event", _actions("""
ReportTrackBufferingResult: MemberID, ResultCode ->
"""), evented=("GroupCoordinatorIsLocal", "LocalGroupUUID", "VirtualLineInGroupID", "ResetVolumeAfter", "VolumeAVTransportURI"))

AUDIO_IN = Service("AudioIn", "/AudioIn/Control", "/AudioIn/Event", _actions("""
GetAudioInputAttributes: -> CurrentName, CurrentIcon
GetLineInLevel: -> CurrentLeftLineInLevel, CurrentRightLineInLevel
"""), evented=("AudioInputName", "Icon", "LineInConnected", "LeftLineInLevel", "RightLineInLevel", "Playing"))

HT_CONTROL = Service("HTControl", "/HTControl/Control", "/HTControl/Event", _actions("""
IsRemoteConfigured: -> RemoteConfigured
GetLEDFeedbackState: -> LEDFeedbackState
"""), evented=("TOSLinkConnected", "IRRepeaterState"))

QPLAY = Service("QPlay", "/QPlay/Control", "/QPlay/Event", (), domain="schemas-tencent-com")

_CONNECTION_MANAGER_ACTIONS = _actions("""
GetProtocolInfo: -> Source, Sink
GetCurrentConnectionIDs: -> ConnectionIDs
""")
_CONNECTION_MANAGER_EVENTED = ("SourceProtocolInfo", "SinkProtocolInfo", "CurrentConnectionIDs")
SERVER_CONNECTION_MANAGER = Service("ConnectionManager", "/MediaServer/ConnectionManager/Control", "/MediaServer/ConnectionManager/Event",
                                    _CONNECTION_MANAGER_ACTIONS, evented=_CONNECTION_MANAGER_EVENTED)
RENDERER_CONNECTION_MANAGER = Service("ConnectionManager", "/MediaRenderer/ConnectionManager/Control", "/MediaRenderer/ConnectionManager/Event",
                                      _CONNECTION_MANAGER_ACTIONS, evented=_CONNECTION_MANAGER_EVENTED)

QUEUE = Service("Queue", "/MediaRenderer/Queue/Control", "/MediaRenderer/Queue/Event", _actions("""
Browse: QueueID, StartingIndex, RequestedCount -> Result, NumberReturned, TotalMatches, UpdateID
"""), evented=("LastChange",), domain="schemas-sonos-com")

VIRTUAL_LINE_IN = Service("VirtualLineIn", "/MediaRenderer/VirtualLineIn/Control", "/MediaRenderer/VirtualLineIn/Event", _actions("""
Stop: InstanceID ->
"""), evented=("CurrentTrackMetaData",))


def root_services(has_line_in: bool, is_soundbar: bool) -> tuple[Service, ...]:
    """The ZonePlayer's own services, in a real player's order (AudioIn and HTControl by model)."""
    return (
        ALARM_CLOCK,
        MUSIC_SERVICES,
        *((AUDIO_IN,) if has_line_in else ()),
        DEVICE_PROPERTIES,
        SYSTEM_PROPERTIES,
        ZONE_GROUP_TOPOLOGY,
        GROUP_MANAGEMENT,
        *((HT_CONTROL,) if is_soundbar else ()),
        QPLAY,
    )


MEDIA_SERVER_SERVICES = (CONTENT_DIRECTORY, SERVER_CONNECTION_MANAGER)
MEDIA_RENDERER_SERVICES = (RENDERING_CONTROL, RENDERER_CONNECTION_MANAGER, AV_TRANSPORT, QUEUE, GROUP_RENDERING_CONTROL, VIRTUAL_LINE_IN)
ALL_SERVICES = root_services(True, True) + MEDIA_SERVER_SERVICES + MEDIA_RENDERER_SERVICES
BY_CONTROL_URL = {service.control_url: service for service in ALL_SERVICES}
BY_SCPD_URL = {service.scpd_url: service for service in ALL_SERVICES}
