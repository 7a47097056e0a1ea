"""overlay.py's read of a player's local API info (port 1443) against answers no Sonos gives:
each is a player that cannot take a clip (Unable, so `auto` interrupts it instead), never an
error out of the zone's overlay."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sonos_chime.overlay import Unable, connect
from sonos_chime.topology import Member
from sonos_sim.clipapi import household_tls


async def connect_to(host: str, body: bytes) -> object:
    async def info(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/v1/players/local/info", info)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, 1443, ssl_context=household_tls()).start()
    try:
        member = Member("RINCON_1", "Den", host, 1400, False, "RINCON_1")
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session:
            return await connect(member, session, 2.0)
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("body", [b"[" * 200_000, b'{"device": ' * 100_000, b"not json", b"[]", b'{"device": []}'],
                         ids=["deep array", "deep object", "not JSON", "not an object", "no device object"])
def test_an_info_no_player_sends_is_a_player_without_clips(loopback_addresses: Any, body: bytes) -> None:
    host = loopback_addresses.take(1)[0]
    ready = asyncio.run(connect_to(host, body))
    assert isinstance(ready, Unable) and ready.reason.startswith("has no local API ("), ready


@pytest.mark.parametrize("device", [{"capabilities": 5}, {"capabilities": "AUDIO_CLIP"}, {"model": ["S12"], "capabilities": None}],
                         ids=["a number", "a string", "no list"])
def test_capabilities_no_player_sends_are_a_player_without_clips(loopback_addresses: Any, device: dict[str, Any]) -> None:
    host = loopback_addresses.take(1)[0]
    body = json.dumps({"device": device, "websocketUrl": f"wss://{host}:1443/websocket/api", "playerId": "RINCON_1"}).encode()
    ready = asyncio.run(connect_to(host, body))
    assert isinstance(ready, Unable) and "lacks AUDIO_CLIP" in ready.reason, ready
