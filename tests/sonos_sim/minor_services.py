"""The services a controller of this project hardly uses, answered the way a player at rest
does: no music services signed in, no line-in connected, no VirtualLineIn session, no IR
remote. Their other actions are answered with 401 (see services.py)."""

from __future__ import annotations

from .actions import Call, Result, flag, handles
from .model import UpnpFault

PROTOCOLS = "http-get:*:audio/mpeg:*,http-get:*:audio/mp4:*,http-get:*:audio/x-wav:*,x-file-cifs:*:audio/mpeg:*,x-rincon-stream:*:*:*"


@handles("MusicServices", "ListAvailableServices")
async def list_available_services(call: Call) -> Result:
    return {
        "AvailableServiceDescriptorList": "<Services SchemaVersion=\"1\"></Services>",
        "AvailableServiceTypeList": "",
        "AvailableServiceListVersion": "RINCON_000E58000000000000000:1",
    }


@handles("SystemProperties", "SetString")
async def set_string(call: Call) -> Result:
    call.household.system_strings[call.arg("VariableName")] = call.arg("StringValue")
    return {}


@handles("SystemProperties", "GetString")
async def get_string(call: Call) -> Result:
    name = call.arg("VariableName")
    if name not in call.household.system_strings:
        raise UpnpFault(802, "no such variable")
    return {"StringValue": call.household.system_strings[name]}


@handles("SystemProperties", "GetRDM")
async def get_rdm(call: Call) -> Result:
    return {"RDMValue": "0"}


@handles("GroupManagement", "ReportTrackBufferingResult")
async def report_track_buffering_result(call: Call) -> Result:
    return {}


@handles("AudioIn", "GetAudioInputAttributes")
async def get_audio_input_attributes(call: Call) -> Result:
    return {"CurrentName": "Line-In", "CurrentIcon": "AudioComponent"}


@handles("AudioIn", "GetLineInLevel")
async def get_line_in_level(call: Call) -> Result:
    return {"CurrentLeftLineInLevel": "1", "CurrentRightLineInLevel": "1"}


@handles("HTControl", "IsRemoteConfigured")
async def is_remote_configured(call: Call) -> Result:
    return {"RemoteConfigured": flag(False)}


@handles("HTControl", "GetLEDFeedbackState")
async def get_led_feedback_state(call: Call) -> Result:
    return {"LEDFeedbackState": "On"}


@handles("ConnectionManager", "GetProtocolInfo")
async def get_protocol_info(call: Call) -> Result:
    return {"Source": "", "Sink": PROTOCOLS}


@handles("ConnectionManager", "GetCurrentConnectionIDs")
async def get_current_connection_ids(call: Call) -> Result:
    return {"ConnectionIDs": ""}


@handles("VirtualLineIn", "Stop")
async def virtual_line_in_stop(call: Call) -> Result:
    raise UpnpFault(701, "no VirtualLineIn session")
