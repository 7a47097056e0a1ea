"""A hostile or broken device on a player's address: answers no Sonos gives, on the wire."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import socket
import ssl
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import requests
import soco
from sonos_sim.schema import HouseholdError, load_household

from .helpers import soap_post, wait_for

RENDERING = "urn:schemas-upnp-org:service:RenderingControl:1"
RENDERING_URL = "/MediaRenderer/RenderingControl/Control"
MIB = 1024 * 1024


def one_player(*faults: dict[str, Any]) -> dict[str, Any]:
    return {"players": [{"name": "Den", "state": {"volume": 20}}, {"name": "Attic"}], "faults": list(faults)}


@pytest.fixture
def server_log() -> Iterator[list[logging.LogRecord]]:
    """Warnings and errors logged anywhere (the household's thread too) until the household has
    stopped: requested before `household`, it is torn down after it."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    yield records
    logging.getLogger().removeHandler(handler)
    assert [record.getMessage() for record in records] == []


def soap_request(action: str, args: str = "", host: str = "sonos") -> bytes:
    body = (
        '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
        f'<u:{action} xmlns:u="{RENDERING}"><InstanceID>0</InstanceID><Channel>Master</Channel>{args}</u:{action}>'
        "</s:Body></s:Envelope>"
    ).encode()
    head = (
        f"POST {RENDERING_URL} HTTP/1.1\r\nHost: {host}:1400\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n"
        f'SOAPACTION: "{RENDERING}#{action}"\r\nContent-Length: {len(body)}\r\n\r\n'
    )
    return head.encode() + body


def connect(ip: str, request: bytes, timeout: float = 5.0) -> socket.socket:
    client = socket.create_connection((ip, 1400), timeout=timeout)
    client.sendall(request)
    return client


def read_at_least(client: socket.socket, count: int) -> bytes:
    received = bytearray()
    while len(received) < count:
        piece = client.recv(MIB)
        if not piece:
            raise AssertionError(f"the answer ended after {len(received)} bytes")
        received += piece
    return bytes(received)


def read_for(client: socket.socket, seconds: float) -> list[bytes]:
    """What arrives within `seconds`, one item per recv."""
    pieces: list[bytes] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        client.settimeout(left)
        try:
            piece = client.recv(MIB)
        except TimeoutError:
            break
        if not piece:
            break
        pieces.append(piece)
    return pieces


def get_volume(ip: str) -> str:
    return soco.SoCo(ip).renderingControl.GetVolume([("InstanceID", 0), ("Channel", "Master")], timeout=3)["CurrentVolume"]


def test_an_endless_body_goes_on_until_the_client_hangs_up_and_the_player_stays_healthy(household, server_log):
    home = household(one_player({"kind": "endless_body", "action": "GetVolume", "mode": "once"}))
    den, attic = home.players["Den"], home.players["Attic"]
    client = connect(den.ip, soap_request("GetVolume"))
    received = read_at_least(client, 8 * MIB)
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode().lower().split("\r\n")
    assert lines[0] == "http/1.1 200 ok"
    assert 'content-type: text/xml; charset="utf-8"' in lines and "transfer-encoding: chunked" in lines
    assert not any(line.startswith("content-length") for line in lines)
    assert b"<s:Envelope" in body[:400] and b"<CurrentVolume>" in body[:400]
    # The stream is held open, unread: the same player and the others answer meanwhile.
    assert get_volume(den.ip) == "20" and get_volume(attic.ip) == "20"
    assert read_for(client, 0.2)  # still going
    client.close()
    (cut,) = wait_for(lambda: home.events(kind="answer_cut"))
    assert (cut["player"], cut["uid"], cut["service"], cut["action"]) == ("Den", den.uid, "RenderingControl", "GetVolume")
    assert cut["bytes_sent"] >= len(received) + 1
    first = home.requests("GetVolume")[0]
    assert (first["injected"], first["result"]) == ("endless_body", None)
    wait_for(lambda: not streaming(home, "Den"))  # no task left writing


def streaming(home: Any, name: str) -> set[Any]:
    return home._running.runtime.servers[name].streaming  # type: ignore[no-any-return]


def test_a_drip_from_the_status_line_delays_even_the_headers_and_is_carried_out(household, server_log):
    home = household(one_player({"kind": "drip", "action": "SetVolume", "interval": 0.05}))
    client = connect(home.players["Den"].ip, soap_request("SetVolume", "<DesiredVolume>33</DesiredVolume>"))
    pieces = read_for(client, 0.5)
    received = b"".join(pieces)
    # 0.5 s at a byte every 0.05 s is about 10 bytes: "HTTP/1.1 200 OK\r\n" (17) is not complete yet.
    assert b"HTTP/1.1 200 OK\r\n".startswith(received) and 3 <= len(received) < 17
    assert len(pieces) >= 3  # byte by byte, not at once
    client.close()
    (request,) = home.requests("SetVolume")
    assert (request["injected"], request["interval"], request["start"]) == ("drip", 0.05, "status")
    assert (request["result"], request["volume"]) == ({}, 33)  # carried out before it dripped
    (cut,) = wait_for(lambda: home.events(kind="answer_cut"), timeout=3)
    assert len(received) <= cut["bytes_sent"] < 17 + 3
    assert home.players["Den"].state().volume == 33


def test_a_drip_from_the_body_sends_the_headers_at_once_then_the_body_byte_by_byte(household, server_log):
    home = household(one_player({"kind": "drip", "action": "GetVolume", "interval": 0.01, "start": "body"}))
    client = connect(home.players["Den"].ip, soap_request("GetVolume"))
    started = time.monotonic()
    head = read_at_least(client, 1)
    while b"\r\n\r\n" not in head:
        head += read_at_least(client, 1)
    headers, _, body = head.partition(b"\r\n\r\n")
    length = int(next(line for line in headers.decode().split("\r\n") if line.lower().startswith("content-length")).split(":")[1])
    assert length > 200 and len(body) <= 3  # the headers at once, the body only begun
    pieces = [body]
    while sum(map(len, pieces)) < length:
        pieces.append(read_at_least(client, 1))
    elapsed = time.monotonic() - started
    body = b"".join(pieces)
    assert ET.fromstring(body).find(".//CurrentVolume").text == "20"  # type: ignore[union-attr]
    assert len(pieces) > length / 4 and elapsed >= 0.9 * (length - 1) * 0.01
    assert client.recv(16) == b""  # then the player closes the connection
    client.close()
    assert home.events(kind="answer_cut") == []


def test_an_oversized_answer_has_its_true_length_and_parses_to_the_normal_answer(household, server_log):
    home = household(one_player({"kind": "oversized", "action": "GetVolume", "size": 2 * MIB}))
    connection = http.client.HTTPConnection(home.players["Den"].ip, 1400, timeout=5)
    connection.request("POST", RENDERING_URL, body=soap_request("GetVolume").partition(b"\r\n\r\n")[2],
                       headers={"SOAPACTION": f'"{RENDERING}#GetVolume"', "Content-Type": 'text/xml; charset="utf-8"'})
    answer = connection.getresponse()
    assert answer.status == 200 and int(answer.headers["Content-Length"]) == 2 * MIB
    body = answer.read()
    assert len(body) == 2 * MIB
    assert ET.fromstring(body).find(".//CurrentVolume").text == "20"  # type: ignore[union-attr]
    assert soco.SoCo(home.players["Den"].ip).volume == 20  # SoCo reads it all and gets the volume
    assert [(e["injected"], e["size"]) for e in home.requests("GetVolume")] == [("oversized", 2 * MIB)] * 2


def test_a_plain_get_can_be_oversized_too(household, server_log):
    home = household(one_player({"kind": "oversized", "action": "GET /xml/device_description.xml", "size": 1 * MIB}))
    answer = requests.get(f"http://{home.players['Den'].ip}:1400/xml/device_description.xml", timeout=5)
    assert len(answer.content) == int(answer.headers["Content-Length"]) == MIB
    room = ET.fromstring(answer.content).find(".//{urn:schemas-upnp-org:device-1-0}roomName")
    assert room is not None and room.text == "Den"


def test_an_oversized_websocket_reply_is_one_frame_of_its_size(household, server_log):
    home = household(one_player({"kind": "oversized", "action": "subscribe", "mode": "once", "size": 2 * MIB}))
    den = home.players["Den"]
    padded, normal = asyncio.run(two_subscribes(den.ip, den.uid))
    assert len(padded) == 2 * MIB
    header, body = json.loads(padded)
    assert header == {**json.loads(normal)[0], "cmdId": "1"} and body == json.loads(normal)[1] == {}
    first, second = home.requests("subscribe")
    assert (first["injected"], first["size"]) == ("oversized", 2 * MIB) and "injected" not in second


async def two_subscribes(ip: str, uid: str) -> tuple[str, str]:
    """The raw reply frames of two subscribe commands on one websocket."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    headers = {"X-Sonos-Api-Key": "123e4567-e89b-12d3-a456-426655440000"}
    async with aiohttp.ClientSession() as session, session.ws_connect(
        f"wss://{ip}:1443/websocket/api", ssl=context, headers=headers, protocols=("v1.api.smartspeaker.audio",),
        max_msg_size=0,
    ) as websocket:
        replies = []
        for command_id in ("1", "2"):
            header = {"namespace": "audioClip:1", "command": "subscribe", "playerId": uid, "cmdId": command_id}
            await websocket.send_str(json.dumps([header, {}]))
            message = await websocket.receive(timeout=10)
            assert message.type == aiohttp.WSMsgType.TEXT
            replies.append(message.data)
        return replies[0], replies[1].replace('"cmdId": "2"', '"cmdId": "1"')


def test_malformed_xml_does_not_parse_and_is_not_carried_out(household, server_log):
    home = household(one_player({"kind": "malformed_xml", "action": "SetVolume"}))
    answer = soap_post(home.players["Den"].ip, RENDERING_URL, RENDERING, "SetVolume",
                       "<InstanceID>0</InstanceID><Channel>Master</Channel><DesiredVolume>33</DesiredVolume>")
    assert answer.status_code == 200 and answer.content.startswith(b"<?xml")
    with pytest.raises(ET.ParseError):
        ET.fromstring(answer.content)
    assert home.players["Den"].state().volume == 20
    (request,) = home.requests("SetVolume")
    assert (request["injected"], request["result"], request["volume"]) == ("malformed_xml", None, 20)


def test_the_billion_laughs_is_refused_by_elementtree(household, server_log):
    home = household(one_player({"kind": "hostile_xml", "action": "GetVolume"}))
    answer = soap_post(home.players["Den"].ip, RENDERING_URL, RENDERING, "GetVolume",
                       "<InstanceID>0</InstanceID><Channel>Master</Channel>")
    assert answer.status_code == 200 and len(answer.content) < 2000
    assert b"<!DOCTYPE s:Envelope [" in answer.content and answer.content.count(b"<!ENTITY") == 10
    assert b"<CurrentVolume>&lol9;</CurrentVolume>" in answer.content
    # Expat (2.4 and later, which Python bundles) stops on its input amplification limit
    # before expanding anything much: ParseError, not a gigabyte of "lol".
    with pytest.raises(ET.ParseError, match="amplification"):
        ET.fromstring(answer.content)
    assert home.requests("GetVolume")[0]["payload"] == "laughs"


def test_an_external_entity_points_at_the_canary_which_elementtree_never_fetches(household, server_log):
    home = household(one_player({"kind": "hostile_xml", "action": "SetMute", "payload": "external"}))
    den = home.players["Den"]
    answer = soap_post(den.ip, RENDERING_URL, RENDERING, "SetMute",
                       "<InstanceID>0</InstanceID><Channel>Master</Channel><DesiredMute>1</DesiredMute>")
    canary = f"http://{den.ip}:1400/xxe-canary"
    assert f'<!ENTITY xxe SYSTEM "{canary}">'.encode() in answer.content
    assert b"<Value>&xxe;</Value>" in answer.content  # SetMute has no output argument: a made-up one
    # ElementTree does not resolve external entities: it reports the entity undefined.
    with pytest.raises(ET.ParseError, match="undefined entity"):
        ET.fromstring(answer.content)
    assert home.requests("GET /xxe-canary") == []
    assert home.players["Den"].state().mute is False  # not carried out
    assert requests.get(canary, timeout=5).status_code == 200  # a fetch would have been seen:
    (fetched,) = home.requests("GET /xxe-canary")
    assert fetched["player"] == "Den" and "injected" not in fetched


def test_a_held_stream_and_a_slow_drip_do_not_hold_up_the_household_stopping(household, server_log):
    home = household(one_player({"kind": "endless_body", "action": "GetVolume"},
                                {"kind": "drip", "action": "GetMute", "interval": 60}))
    ip = home.players["Den"].ip
    endless = connect(ip, soap_request("GetVolume"))
    dripping = connect(ip, soap_request("GetMute"))
    read_at_least(endless, 1)
    read_at_least(dripping, 1)
    wait_for(lambda: len(streaming(home, "Den")) == 2)
    started = time.monotonic()
    home.stop()
    assert time.monotonic() - started < 3
    endless.close()
    dripping.close()


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"kind": "oversized", "interval": 1}, "faults[0].interval: only meaningful with kind drip"),
        ({"kind": "drip", "interval": 0.001}, "faults[0].interval: 0.001 is not within 0.01-60.0"),
        ({"kind": "drip", "interval": 61}, "faults[0].interval: 61 is not within 0.01-60.0"),
        ({"kind": "endless_body", "start": "body"}, "faults[0].start: only meaningful with kind drip"),
        ({"kind": "drip", "start": "headers"}, "faults[0].start: 'headers' is not one of status, body"),
        ({"kind": "drip", "size": 2048}, "faults[0].size: only meaningful with kind oversized"),
        ({"kind": "oversized", "size": 1023}, "faults[0].size: 1023 is not within 1024-1073741824"),
        ({"kind": "oversized", "size": 2**30 + 1}, "faults[0].size: 1073741825 is not within 1024-1073741824"),
        ({"kind": "oversized", "size": 4096.5}, "faults[0].size: expected an integer"),
        ({"kind": "malformed_xml", "payload": "laughs"}, "faults[0].payload: only meaningful with kind hostile_xml"),
        ({"kind": "hostile_xml", "payload": "quadratic"}, "faults[0].payload: 'quadratic' is not one of laughs, external"),
        ({"kind": "late_answer", "size": 2048}, "faults[0].size: only meaningful with kind oversized"),
    ],
)
def test_hostile_options_are_refused_off_their_kind_and_out_of_bounds(fault, message):
    with pytest.raises(HouseholdError) as raised:
        load_household(one_player({"action": "GetVolume", **fault}))
    assert str(raised.value).startswith(message)


def test_hostile_kinds_load_with_their_defaults():
    spec = load_household(one_player(
        {"kind": "endless_body", "action": "GetVolume", "mode": "once", "after": 2},
        {"kind": "drip", "player": "Den", "action": "GET /xml/device_description.xml", "interval": 0.5, "start": "body"},
        {"kind": "oversized", "size": 1024},
        {"kind": "malformed_xml"},
        {"kind": "hostile_xml", "payload": "external"},
    ))
    assert [(f.kind, f.interval, f.start, f.size, f.payload) for f in spec.faults] == [
        ("endless_body", None, None, None, None),
        ("drip", 0.5, "body", None, None),
        ("oversized", None, None, 1024, None),
        ("malformed_xml", None, None, None, None),
        ("hostile_xml", None, None, None, "external"),
    ]
