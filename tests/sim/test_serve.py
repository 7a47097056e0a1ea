"""`python -m sonos_sim serve` runs a household until SIGTERM, then flushes and exits 0."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import soco
import yaml
from sonos_sim.schema import load_household
from sonos_sim.server import ThreadedHousehold
from sonos_sim.testing import ensure_loopback_multicast

from .helpers import wait_for

TESTS = Path(__file__).parent.parent


def test_serve_answers_soco_then_exits_0_on_sigterm_with_events_flushed(tmp_path, loopback_addresses):
    data = yaml.safe_load((TESTS / "households" / "group-on-radio.yml").read_text())
    for player, ip in zip(data["players"], loopback_addresses.take(len(data["players"])), strict=True):
        player["ip"] = ip
    data["household_id"] = loopback_addresses.household_id()
    household_file = tmp_path / "home.yml"
    household_file.write_text(yaml.safe_dump(data))
    events_file = tmp_path / "events.jsonl"
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    process = subprocess.Popen(
        [sys.executable, "-m", "sonos_sim", "serve", str(household_file), "--events", str(events_file)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for(lambda: events_file.exists() and "household_started" in events_file.read_text(), timeout=10)
        living = soco.SoCo(data["players"][0]["ip"])
        living.volume = 44
        assert living.volume == 44
        found = soco.discover(timeout=2, interface_addr=data["players"][2]["ip"], household_id=data["household_id"])
        assert found is not None and {z.player_name for z in found} == {"Living Room", "Dining Room", "Office"}
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "Living Room" in stdout
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    set_volume = [e for e in events if e["action"] == "SetVolume" and e["kind"] == "request"]
    assert set_volume and set_volume[0]["args"]["DesiredVolume"] == "44" and set_volume[0]["volume"] == 44
    assert all({"mono", "wall", "player", "kind", "fault"} <= set(e) for e in events)


def test_serve_rejects_a_bad_household_with_exit_2(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("players:\n  - name: A\n    colour: red\n")
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    result = subprocess.run([sys.executable, "-m", "sonos_sim", "serve", str(bad)], check=False, env=env, capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    assert "players[0].colour: unknown key" in result.stderr


def test_a_household_that_cannot_start_leaves_nothing_running(loopback_addresses):
    ip = loopback_addresses.take(1)[0]
    blocker = socket.socket()
    blocker.bind((ip, 1400))
    blocker.listen()
    try:
        running = ThreadedHousehold(load_household({"players": [{"name": "A", "ip": ip}]}), ssdp=False)
        try:
            running.start()
        except OSError:
            pass
        else:
            raise AssertionError("started on a taken port")
        assert not running.is_running
    finally:
        blocker.close()


def test_check_validates_every_example_household():
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    files = sorted(str(p) for p in (TESTS / "households").glob("*.yml"))
    result = subprocess.run([sys.executable, "-m", "sonos_sim", "check", *files], check=False, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(files) >= 4


def test_stopped_households_leave_no_threads_or_listeners(household):
    before = {t for t in threading.enumerate() if t.name == "sonos-sim"}
    home = household("group-on-radio.yml")
    ip = home.players["Office"].ip
    assert {t for t in threading.enumerate() if t.name == "sonos-sim"} - before
    home.stop()
    assert {t for t in threading.enumerate() if t.name == "sonos-sim"} - before == set()
    with socket.socket() as probe:
        assert probe.connect_ex((ip, 1400)) != 0
    home.stop()  # stopping twice is harmless


def search(from_address: str, timeout: float = 1.0) -> list[tuple[str, str]]:
    """One M-SEARCH for ZonePlayers sent from `from_address`: (replying address, household id)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((from_address, 0))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(from_address))
    sock.settimeout(timeout)
    sock.sendto(b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\n'
                b"ST: urn:schemas-upnp-org:device:ZonePlayer:1\r\n\r\n", ("239.255.255.250", 1900))
    replies = []
    try:
        while True:
            data, addr = sock.recvfrom(4096)
            household = next((line.split(":", 1)[1].strip() for line in data.decode().splitlines()
                              if line.upper().startswith("X-RINCON-HOUSEHOLD:")), "")
            replies.append((addr[0], household))
    except TimeoutError:
        pass
    finally:
        sock.close()
    return replies


def serve_household(tmp_path: Path, loopback_addresses, name: str, *options: str) -> tuple[subprocess.Popen[str], dict]:
    data = {"household_id": loopback_addresses.household_id(),
            "players": [{"name": f"{name} {n}", "ip": ip} for n, ip in enumerate(loopback_addresses.take(2))]}
    household_file = tmp_path / f"{name}.yml"
    household_file.write_text(yaml.safe_dump(data))
    events_file = tmp_path / f"{name}.jsonl"
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    process = subprocess.Popen([sys.executable, "-m", "sonos_sim", "serve", str(household_file), "--events", str(events_file), *options],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: events_file.exists() and "household_started" in events_file.read_text(), timeout=10)
    return process, data


def test_two_served_households_on_one_host_never_answer_each_other(tmp_path, loopback_addresses):
    ensure_loopback_multicast()
    controller = loopback_addresses.take(1)[0]
    first, first_data = serve_household(tmp_path, loopback_addresses, "First", "--ssdp-from", controller)
    second, second_data = serve_household(tmp_path, loopback_addresses, "Second")
    try:
        households = {first_data["household_id"], second_data["household_id"]}
        from_first, from_second, from_controller, from_localhost = (
            [reply for reply in search(address) if reply[1] in households]
            for address in (first_data["players"][0]["ip"], second_data["players"][1]["ip"], controller, "127.0.0.1")
        )
    finally:
        for process in (first, second):
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=10)
    assert sorted(from_first) == sorted((p["ip"], first_data["household_id"]) for p in first_data["players"])
    assert sorted(from_second) == sorted((p["ip"], second_data["household_id"]) for p in second_data["players"])
    assert {household for _, household in from_controller} == {first_data["household_id"]}
    assert from_localhost == []
    assert first.returncode == 0 and second.returncode == 0
