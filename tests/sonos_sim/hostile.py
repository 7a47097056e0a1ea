"""Answers no Sonos gives (schema.HOSTILE_KINDS), written straight to the request's connection.

aiohttp frames a response itself; these answers need what it will not do (a status line sent
byte by byte, a body that never ends), so they go to the connection through a Wire, paced by
the client: a write waits while the client is not reading. Nothing is built whole in memory
but a dripped answer, which is the real (small) one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

from aiohttp import web
from aiohttp.http import StreamWriter

from .soap import CONTENT_TYPE, SERVER_HEADER, SOAP_ENV

CHUNK = 64 * 1024
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
PADDING = b" " * CHUNK  # XML whitespace: where it goes, a parser skips it
FILLER = b"A" * CHUNK  # text of the first output argument, as far as the parser is concerned
CANARY_PATH = "/xxe-canary"
LAUGH_LEVELS = 10  # lol0 ("lol") to lol9, each level ten references to the one below: 10**9 laughs


@dataclass(frozen=True)
class Frame:
    """A document around one text value: `head` + value + `tail`, its root element named `root`."""

    root: str
    head: str
    tail: str


def soap_frame(service_type: str, action: str, first_output: str | None) -> Frame:
    """An action's SOAP answer around its first output argument (a made-up one if it has none)."""
    element = first_output or "Value"
    return Frame(
        root="s:Envelope",
        head=(f'<s:Envelope xmlns:s="{SOAP_ENV}" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
              f'<s:Body><u:{action}Response xmlns:u="{service_type}"><{element}>'),
        tail=f"</{element}></u:{action}Response></s:Body></s:Envelope>",
    )


def description_frame() -> Frame:
    """For plain requests (device descriptions, SCPDs): a device description around its roomName."""
    return Frame(
        root="root",
        head='<root xmlns="urn:schemas-upnp-org:device-1-0"><device><roomName>',
        tail="</roomName></device></root>",
    )


def malformed_body(frame: Frame) -> bytes:
    """The document cut inside its first closing tag: not well-formed XML."""
    cut = frame.tail[: frame.tail.index("</") + 3]
    return f"{XML_DECLARATION}{frame.head}20{cut}".encode()


def hostile_body(frame: Frame, payload: str, canary_url: str) -> bytes:
    """The document under a DOCTYPE whose entity the value references: the billion laughs
    ("laughs") or an external entity on `canary_url` ("external")."""
    if payload == "external":
        doctype, reference = f'<!DOCTYPE {frame.root} [<!ENTITY xxe SYSTEM "{canary_url}">]>', "&xxe;"
    else:
        doctype, reference = _laughs_doctype(frame.root), f"&lol{LAUGH_LEVELS - 1};"
    return f"{XML_DECLARATION}{doctype}{frame.head}{reference}{frame.tail}".encode()


def _laughs_doctype(root: str) -> str:
    levels = ['<!ENTITY lol0 "lol">']
    for level in range(1, LAUGH_LEVELS):
        levels.append(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">')
    return f"<!DOCTYPE {root} [{''.join(levels)}]>"


@dataclass(frozen=True)
class Answer:
    """A request's real answer, before a fault spoils how it is sent."""

    status: int
    body: bytes
    content_type: str = CONTENT_TYPE

    def head(self, content_length: int) -> bytes:
        return status_head(self.status, {"Content-Type": self.content_type, "Content-Length": str(content_length)})


def status_head(status: int, headers: Mapping[str, str]) -> bytes:
    """Status line and headers; the connection closes after the answer (the Wire's, not aiohttp's)."""
    fields = {**headers, "Server": SERVER_HEADER, "Connection": "close"}
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", *(f"{name}: {value}" for name, value in fields.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Wire:
    """One request's connection, written to directly and counted. A write waits while the
    client is not reading, and raises ConnectionError once it has hung up."""

    def __init__(self, request: web.Request) -> None:
        self._writer = StreamWriter(request.protocol, asyncio.get_running_loop())
        self._transport = request.transport
        self.sent = 0

    async def send(self, data: bytes) -> None:
        await self._writer.write(data)
        self.sent += len(data)

    def close(self) -> None:
        """Flush what is written, then close; aiohttp's own response then finds it closed."""
        if self._transport is not None:
            self._transport.close()


async def send_endless(wire: Wire, frame: Frame) -> None:
    """200, chunked, a SOAP answer's start, then filler until the client hangs up."""
    await wire.send(status_head(200, {"Content-Type": CONTENT_TYPE, "Transfer-Encoding": "chunked"}))
    await wire.send(_chunk(f"{XML_DECLARATION}{frame.head}".encode()))
    filler = _chunk(FILLER)
    while True:
        await wire.send(filler)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def send_dripping(wire: Wire, answer: Answer, interval: float, start: str) -> None:
    """The answer one byte every `interval` seconds: all of it ("status"), or the body only ("body")."""
    head = answer.head(len(answer.body))
    if start == "body":
        await wire.send(head)
        dripping = answer.body
    else:
        dripping = head + answer.body
    for index in range(len(dripping)):
        if index:
            await asyncio.sleep(interval)
        await wire.send(dripping[index : index + 1])


async def send_padded(wire: Wire, answer: Answer, size: int) -> None:
    """The answer padded to `size` bytes with whitespace before its root's closing tag, with
    that Content-Length, the padding streamed a chunk at a time."""
    before, after = _padding_point(answer.body)
    total = max(size, len(answer.body))
    await wire.send(answer.head(total))
    await wire.send(before)
    remaining = total - len(answer.body)
    while remaining:
        step = min(CHUNK, remaining)
        await wire.send(PADDING[:step])
        remaining -= step
    await wire.send(after)


def _padding_point(body: bytes) -> tuple[bytes, bytes]:
    """An XML body splits before its last closing tag (inside the root, where whitespace is
    harmless); anything else is padded at its end."""
    index = body.rfind(b"</")
    if index < 0:
        return body, b""
    return body[:index], body[index:]
