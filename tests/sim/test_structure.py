"""The documents and events a player sends, by structure, as real players send them.

What these tests expect was learned from captures of real players published in public
projects' test data (Home Assistant's Sonos fixtures, SoCo's tests/data, node-sonos-ts's
tests): element names and order, attributes, channels, and which fields appear when. The
values are this project's own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import requests
import soco
from soco import services as soco_services
from sonos_sim.services import ALL_SERVICES

from .helpers import EventSink
from .helpers import soap_post as soap

DEVICE = "{urn:schemas-upnp-org:device-1-0}"
SCPD = "{urn:schemas-upnp-org:service-1-0}"
AVT = "{urn:schemas-upnp-org:metadata-1-0/AVT/}"
RCS = "{urn:schemas-upnp-org:metadata-1-0/RCS/}"
R = "{urn:schemas-rinconnetworks-com:metadata-1-0/}"
HOME = "six-player-home.yml"

ROOT_FIELDS = [
    "deviceType", "friendlyName", "manufacturer", "manufacturerURL", "modelNumber", "modelDescription", "modelName",
    "modelURL", "softwareVersion", "swGen", "hardwareVersion", "serialNum", "MACAddress", "UDN", "iconList",
    "minCompatibleVersion", "legacyCompatibleVersion", "apiVersion", "minApiVersion", "displayVersion", "extraVersion",
    "roomName", "displayName", "zoneType", "feature1", "feature2", "feature3", "seriesid", "variant",
    "internalSpeakerSize", "memory", "flash", "ampOnTime", "retailMode", "serviceList", "deviceList",
]
EMBEDDED_FIELDS = ["deviceType", "friendlyName", "manufacturer", "manufacturerURL", "modelNumber", "modelDescription",
                   "modelName", "modelURL", "UDN", "serviceList"]
MEDIA_SERVER = ["ContentDirectory", "ConnectionManager"]
MEDIA_RENDERER = ["RenderingControl", "ConnectionManager", "AVTransport", "Queue", "GroupRenderingControl", "VirtualLineIn"]

AV_FIELDS = [
    "TransportState", "CurrentPlayMode", "CurrentCrossfadeMode", "NumberOfTracks", "CurrentTrack", "CurrentSection",
    "CurrentTrackURI", "CurrentTrackDuration", "CurrentTrackMetaData", "r:NextTrackURI", "r:NextTrackMetaData",
    "r:EnqueuedTransportURI", "r:EnqueuedTransportURIMetaData", "PlaybackStorageMedium", "AVTransportURI",
    "AVTransportURIMetaData", "NextAVTransportURI", "NextAVTransportURIMetaData", "CurrentTransportActions",
    "r:CurrentValidPlayModes", "r:DirectControlClientID", "r:DirectControlIsSuspended", "r:DirectControlAccountID",
    "TransportStatus", "r:SleepTimerGeneration", "r:AlarmRunning", "r:SnoozeRunning", "r:RestartPending",
    "TransportPlaySpeed", "CurrentMediaDuration", "RecordStorageMedium", "PossiblePlaybackStorageMedia",
    "PossibleRecordStorageMedia", "RecordMediumWriteStatus", "CurrentRecordQualityMode", "PossibleRecordQualityModes",
]
MEMBER_ATTRIBUTES = [
    "UUID", "Location", "ZoneName", "Icon", "Configuration", "SoftwareVersion", "SWGen", "MinCompatibleVersion",
    "LegacyCompatibleVersion", "ActiveZoneID", "BootSeq", "TVConfigurationError", "HdmiCecAvailable", "WirelessMode",
    "ConnectionType", "ChannelFreq", "BehindWifiExtender", "WifiEnabled", "EthLink", "Orientation",
    "RoomCalibrationState", "SecureRegState", "VoiceConfigState", "MicEnabled", "HeadphoneSwapActive", "AirPlayEnabled",
    "IdleState", "MoreInfo", "SSLPort", "HHSSLPort",
]


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def prefixed(tag: str) -> str:
    return "r:" + local(tag) if tag.startswith(R) else local(tag)


def description(ip: str) -> ET.Element:
    return ET.fromstring(requests.get(f"http://{ip}:1400/xml/device_description.xml", timeout=5).content)


def service_names(device: ET.Element) -> list[str]:
    return [local(e.text or "").split(":")[-2] for e in device.iterfind(f"{DEVICE}serviceList/{DEVICE}service/{DEVICE}serviceType")]


# ---- device description -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "extra"), [("Living Room", []), ("Study", ["AudioIn"]), ("TV Room", ["HTControl"])])
def test_device_description_fields_and_services_by_model(household, name, extra):
    home = household(HOME)
    root = description(home.players[name].ip)
    device = root.find(f"{DEVICE}device")
    assert [local(child.tag) for child in device] == ROOT_FIELDS
    model = device.findtext(f"{DEVICE}modelName")
    assert device.findtext(f"{DEVICE}modelDescription") == model
    assert device.findtext(f"{DEVICE}friendlyName") == f"{home.players[name].ip} - {model}"
    expected = ["AlarmClock", "MusicServices", *(["AudioIn"] if "AudioIn" in extra else []), "DeviceProperties",
                "SystemProperties", "ZoneGroupTopology", "GroupManagement", *(["HTControl"] if "HTControl" in extra else []), "QPlay"]
    assert service_names(device) == expected
    server, renderer = device.findall(f"{DEVICE}deviceList/{DEVICE}device")
    assert [local(child.tag) for child in server] == EMBEDDED_FIELDS
    assert [local(child.tag) for child in renderer][:len(EMBEDDED_FIELDS)] == EMBEDDED_FIELDS
    assert service_names(server) == MEDIA_SERVER and service_names(renderer) == MEDIA_RENDERER
    assert server.findtext(f"{DEVICE}friendlyName") == f"{home.players[name].ip} - {model} Media Server"
    assert renderer.findtext(f"{DEVICE}friendlyName") == f"{name} - {model} Media Renderer"
    assert renderer.findtext(f"{DEVICE}modelDescription") == f"{model} Media Renderer"
    queue_type = renderer.find(f"{DEVICE}serviceList/{DEVICE}service[{DEVICE}serviceId='urn:sonos-com:serviceId:Queue']/{DEVICE}serviceType")
    assert queue_type is not None and queue_type.text == "urn:schemas-sonos-com:service:Queue:1"


def test_every_listed_service_is_described_and_answers_soap(household):
    home = household(HOME)
    ip = home.players["Study"].ip
    root = description(ip)
    services = list(root.iter(f"{DEVICE}service"))
    assert len(services) == 16
    for service in services:
        service_type = service.findtext(f"{DEVICE}serviceType")
        scpd = ET.fromstring(requests.get(f"http://{ip}:1400{service.findtext(f'{DEVICE}SCPDURL')}", timeout=5).content)
        assert [local(child.tag) for child in scpd] == ["specVersion", "serviceStateTable", "actionList"]
        variables = {v.findtext(f"{SCPD}name"): v.get("sendEvents") for v in scpd.iter(f"{SCPD}stateVariable")}
        assert set(variables.values()) <= {"yes", "no"}
        for related in scpd.iter(f"{SCPD}relatedStateVariable"):
            assert variables.get(related.text) == "no"
        answer = soap(ip, service.findtext(f"{DEVICE}controlURL"), service_type, "NoSuchAction")
        assert answer.status_code == 500, service_type
        assert "<errorCode>401</errorCode>" in answer.text and "errorDescription" not in answer.text


def test_socos_own_service_classes_find_every_service_at_its_urls(household):
    home = household(HOME)
    study = soco.SoCo(home.players["Study"].ip)
    answered = {}
    for name in ("AlarmClock", "MusicServices", "AudioIn", "DeviceProperties", "SystemProperties", "ZoneGroupTopology",
                 "GroupManagement", "QPlay", "ContentDirectory", "MS_ConnectionManager", "RenderingControl",
                 "MR_ConnectionManager", "AVTransport", "Queue", "GroupRenderingControl"):
        service = getattr(soco_services, name)(study)
        if "ConnectionManager" not in name:  # SoCo guesses /xml/MS_ConnectionManager1.xml, which no player serves
            answered[name] = [a.name for a in service.actions]  # SoCo fetches and parses the SCPD
        with pytest.raises(soco.exceptions.SoCoUPnPException) as raised:
            service.send_command("NoSuchAction", [])
        assert raised.value.error_code == "401"
    assert set(soco_services.MR_ConnectionManager(study).send_command("GetProtocolInfo", [])) == {"Source", "Sink"}
    assert "ListAvailableServices" in answered["MusicServices"] and answered["QPlay"] == []


@pytest.mark.parametrize(("service", "evented"), [("AVTransport", "LastChange"), ("RenderingControl", "LastChange"),
                                                  ("ZoneGroupTopology", "ZoneGroupState"), ("GroupRenderingControl", "GroupVolume")])
def test_evented_variables_are_declared(household, service, evented):
    home = household("lone-player.yml")
    url = next(s.scpd_url for s in ALL_SERVICES if s.name == service)
    scpd = ET.fromstring(requests.get(f"http://{home.players['Kitchen'].ip}:1400{url}", timeout=5).content)
    declared = {v.findtext(f"{SCPD}name"): v.get("sendEvents") for v in scpd.iter(f"{SCPD}stateVariable")}
    assert declared[evented] == "yes"


def test_answers_carry_the_output_arguments_in_scpd_order(household):
    home = household(HOME)
    living = soco.SoCo(home.players["Living Room"].ip)
    assert list(living.avTransport.GetPositionInfo([("InstanceID", 0)])) == [
        "Track", "TrackDuration", "TrackMetaData", "TrackURI", "RelTime", "AbsTime", "RelCount", "AbsCount"]
    media = living.avTransport.GetMediaInfo([("InstanceID", 0)])
    assert list(media) == ["NrTracks", "MediaDuration", "CurrentURI", "CurrentURIMetaData", "NextURI", "NextURIMetaData",
                           "PlayMedium", "RecordMedium", "WriteStatus"]
    assert (media["MediaDuration"], media["PlayMedium"], media["RecordMedium"]) == ("NOT_IMPLEMENTED", "NETWORK", "NOT_IMPLEMENTED")
    study = soco.SoCo(home.players["Study"].ip).avTransport.GetMediaInfo([("InstanceID", 0)])
    assert study["PlayMedium"] == "NETWORK"  # line-in too: real players say NETWORK


def test_track_metadata_carries_album_art_served_by_the_player(household):
    home = household(HOME)
    ip = home.players["Living Room"].ip
    metadata = ET.fromstring(soco.SoCo(ip).avTransport.GetPositionInfo([("InstanceID", 0)])["TrackMetaData"])
    item = metadata[0]
    names = [prefixed(child.tag) for child in item]
    assert names == ["res", "r:streamContent", "r:radioShowMd", "albumArtURI", "title", "class", "creator", "album"]
    art = item.findtext("{urn:schemas-upnp-org:metadata-1-0/upnp/}albumArtURI")
    assert art.startswith("/getaa?u=x-file-cifs%3a%2f%2f")
    picture = requests.get(f"http://{ip}:1400{art}", timeout=5)
    assert picture.status_code == 200 and picture.headers["Content-Type"] == "image/png"


# ---- events -------------------------------------------------------------------------------


@pytest.fixture
def sink(household):
    sinks: list[EventSink] = []

    def make(address: str) -> EventSink:
        sinks.append(EventSink(address))
        return sinks[-1]

    yield make
    for each in sinks:
        each.close()


def last_change(body: str, namespace: str) -> ET.Element:
    propertyset = ET.fromstring(body)
    text = propertyset.find("{urn:schemas-upnp-org:event-1-0}property/LastChange").text
    instance = ET.fromstring(text).find(f"{namespace}InstanceID")
    assert instance is not None and instance.get("val") == "0"
    return instance


@pytest.mark.parametrize("name", ["Living Room", "Living Room (right)", "Study", "TV Room", "Bedroom"])
def test_av_transport_last_change_has_every_field_and_agrees_with_get_current_transport_actions(household, sink, name):
    home = household(HOME)
    ip = home.players[name].ip
    events = sink(home.interface)
    events.subscribe(ip, "/MediaRenderer/AVTransport/Event")
    instance = last_change(events.wait(1)[0], AVT)
    assert [prefixed(child.tag) for child in instance] == AV_FIELDS
    values = {prefixed(child.tag): child.get("val") for child in instance}
    actions = soco.SoCo(ip).avTransport.GetCurrentTransportActions([("InstanceID", 0)])["Actions"]
    assert values["CurrentTransportActions"] == actions
    if name in ("Study", "TV Room", "Bedroom"):  # streams have no duration
        assert values["CurrentTrackDuration"] == ""
    if name == "Living Room (right)":  # a bonded speaker follows its primary
        assert values["AVTransportURI"].startswith("x-rincon:") and actions == "Stop, Play"
    if name == "Living Room":
        assert "X_DLNA_SeekTrackNr" in actions and values["r:NextTrackURI"].endswith("Blue%20in%20Green.mp3")


def test_rendering_control_last_change_has_master_lf_and_rf(household, sink):
    home = household(HOME)
    ip = home.players["Living Room"].ip
    events = sink(home.interface)
    events.subscribe(ip, "/MediaRenderer/RenderingControl/Event")
    first = last_change(events.wait(1)[0], RCS)
    channels = {kind: [e.get("channel") for e in first.iter(f"{RCS}{kind}")] for kind in ("Volume", "Mute", "Loudness")}
    assert channels == {"Volume": ["Master", "LF", "RF"], "Mute": ["Master", "LF", "RF"], "Loudness": ["Master"]}
    assert [local(e.tag) for e in first][:9] == ["Volume"] * 3 + ["Mute"] * 3 + ["Bass", "Treble", "Loudness"]
    soco.SoCo(ip).renderingControl.SetMute([("InstanceID", 0), ("Channel", "LF"), ("DesiredMute", 1)])
    second = last_change(events.wait(2)[1], RCS)
    assert {e.get("channel"): e.get("val") for e in second.iter(f"{RCS}Mute")} == {"Master": "0", "LF": "1", "RF": "0"}


def test_zone_group_state_event_and_document_as_current_firmware(household, sink):
    home = household(HOME)
    events = sink(home.interface)
    events.subscribe(home.players["Study"].ip, "/ZoneGroupTopology/Event")
    propertyset = ET.fromstring(events.wait(1)[0])
    state = ET.fromstring(propertyset.find("{urn:schemas-upnp-org:event-1-0}property/ZoneGroupState").text)
    assert [local(child.tag) for child in state] == ["ZoneGroups", "VanishedDevices"]
    for group in state.iter("ZoneGroup"):
        assert re.fullmatch(rf"{group.get('Coordinator')}:\d{{6,10}}", group.get("ID"))
    members = {m.get("ZoneName") + ("/" + m.get("UUID") if m.get("Invisible") else ""): m for m in state.iter("ZoneGroupMember")}
    for member in [*state.iter("ZoneGroupMember"), *state.iter("Satellite")]:
        names = [n for n in member.attrib if n not in ("Invisible", "ChannelMapSet", "HTSatChanMapSet", "VirtualLineInSource")]
        assert names == MEMBER_ATTRIBUTES
    idle = {m.get("ZoneName"): m.get("IdleState") for m in state.iter("ZoneGroupMember") if not m.get("Invisible")}
    assert idle == {"Living Room": "1", "TV Room": "0", "Study": "0", "Bedroom": "0"}  # paused, playing, playing, playing
    assert members["Bedroom"].get("VirtualLineInSource") and not members["Study"].get("VirtualLineInSource")
    pair = [m for m in state.iter("ZoneGroupMember") if m.get("ZoneName") == "Living Room"]
    assert len(pair) == 2 and pair[0].get("ChannelMapSet") == pair[1].get("ChannelMapSet")
    (satellite,) = members["TV Room"].iter("Satellite")
    sub = home.players["TV Room Sub"].uid
    assert satellite.get("HTSatChanMapSet") == f"{home.players['TV Room'].uid}:LF,RF;{sub}:SW" and satellite.get("Invisible") == "1"
    document = soco.SoCo(home.players["Bedroom"].ip).zoneGroupTopology.GetZoneGroupState()["ZoneGroupState"]
    assert ET.fromstring(document).find("ZoneGroups/ZoneGroup").attrib == state.find("ZoneGroups/ZoneGroup").attrib


def test_idle_state_follows_playback(household):
    home = household(HOME)
    living = soco.SoCo(home.players["Living Room"].ip)

    def idle_of_living_room() -> set[str]:
        state = ET.fromstring(living.zoneGroupTopology.GetZoneGroupState()["ZoneGroupState"])
        return {m.get("IdleState") for m in state.iter("ZoneGroupMember") if m.get("ZoneName") == "Living Room"}

    assert idle_of_living_room() == {"1"}
    living.play()
    assert idle_of_living_room() == {"0"}


def test_a_fault_is_the_code_alone(household):
    home = household("lone-player.yml")
    answer = soap(home.players["Kitchen"].ip, "/MediaRenderer/AVTransport/Control", "urn:schemas-upnp-org:service:AVTransport:1",
                  "Seek", "<InstanceID>0</InstanceID><Unit>REL_TIME</Unit><Target>9:00:00</Target>")
    detail = ET.fromstring(answer.content).find(".//{urn:schemas-upnp-org:control-1-0}UPnPError")
    assert [local(child.tag) for child in detail] == ["errorCode"] and detail.findtext("{urn:schemas-upnp-org:control-1-0}errorCode") == "711"
