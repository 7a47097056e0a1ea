"""Small helpers shared by the simulator tests."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import requests

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 5.0, interval: float = 0.02) -> T:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def state_changes(events: list[dict], player: str) -> list[tuple[str, str]]:
    """(cause, transport_state) of every state event of `player`, in order."""
    return [(e["action"], e["transport_state"]) for e in events if e["kind"] == "state" and e["player"] == player]


class EventSink:
    """A bare GENA subscriber: SUBSCRIBE with requests, NOTIFY bodies kept as raw text.

    It reads events as a controller in any language does, without SoCo's parsing.
    """

    def __init__(self, address: str) -> None:
        self.bodies: list[str] = []
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_NOTIFY(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                sink.bodies.append(self.rfile.read(length).decode("utf-8"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.callback = f"http://{address}:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def subscribe(self, ip: str, event_path: str) -> str:
        headers = {"CALLBACK": f"<{self.callback}>", "NT": "upnp:event", "TIMEOUT": "Second-300"}
        answer = requests.request("SUBSCRIBE", f"http://{ip}:1400{event_path}", headers=headers, timeout=5)
        answer.raise_for_status()
        return answer.headers["SID"]

    def wait(self, count: int) -> list[str]:
        return wait_for(lambda: self.bodies[:count] if len(self.bodies) >= count else None)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def soap_post(ip: str, control_url: str, service_type: str, action: str, args: str = "") -> requests.Response:
    """A SOAP call as any controller sends it (no SoCo), e.g. to see the raw fault."""
    body = (
        '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
        f'<u:{action} xmlns:u="{service_type}">{args}</u:{action}></s:Body></s:Envelope>'
    )
    headers = {"Content-Type": 'text/xml; charset="utf-8"', "SOAPACTION": f'"{service_type}#{action}"'}
    return requests.post(f"http://{ip}:1400{control_url}", data=body.encode(), headers=headers, timeout=5)
