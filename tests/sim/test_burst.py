"""200 requests from 8 threads: every answer right, every request logged."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import soco


def test_burst_of_200_requests_from_8_threads(household):
    home = household("lone-player.yml")
    ip = home.players["Kitchen"].ip
    before = len(home.requests(player="Kitchen"))

    def one(i: int) -> tuple[int, object]:
        zone = soco.SoCo(ip)
        kind = i % 4
        if kind == 0:
            return i, zone.renderingControl.GetVolume([("InstanceID", 0), ("Channel", "Master")])["CurrentVolume"]
        if kind == 1:
            return i, zone.avTransport.GetTransportInfo([("InstanceID", 0)])["CurrentTransportState"]
        if kind == 2:
            return i, zone.avTransport.GetMediaInfo([("InstanceID", 0)])["CurrentURI"]
        return i, zone.deviceProperties.GetZoneAttributes()["CurrentZoneName"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, range(200)))
    expected = {0: "25", 1: "PLAYING", 2: "x-rincon-queue:RINCON_000E58A0000101400#0", 3: "Kitchen"}
    assert all(answer == expected[i % 4] for i, answer in answers)
    logged = home.requests(player="Kitchen")[before:]
    soap_calls = [e for e in logged if e["service"] is not None]
    assert len([e for e in soap_calls if e["action"] in ("GetVolume", "GetTransportInfo", "GetMediaInfo", "GetZoneAttributes")]) == 200
    assert all(e["fault"] is None for e in soap_calls)
    assert home.players["Kitchen"].state().volume == 25
