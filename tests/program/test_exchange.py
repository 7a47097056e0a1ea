"""exchange.py against a peer that answers the way no Sonos does: each exchange ends by its one
deadline and reads no more than its limit. The peer counts what it sent before the client hung
up, so the tests judge by what went over the wire, not by the clock."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from sonos_chime.errors import PlayerError
from sonos_chime.exchange import (
    KIB,
    SOAP_ANSWER,
    AnswerLimit,
    ExchangeError,
    exchange,
    fetch,
)
from sonos_chime.netxml import parse_network_xml
from sonos_chime.player import Player
from sonos_chime.sound import check_sound

SMALL = AnswerLimit("a test answer", 64 * KIB)
HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"


@dataclass
class Peer:
    """A TCP peer on loopback that runs `behave(connection, peer)` for each connection."""

    behave: Callable[[socket.socket, Peer], None]
    sent: int = 0
    hung_up: threading.Event = field(default_factory=threading.Event)
    listener: socket.socket = field(default_factory=socket.socket)

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def send(self, connection: socket.socket, data: bytes) -> None:
        connection.sendall(data)
        self.sent += len(data)

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                read_request(connection)
                try:
                    self.behave(connection, self)
                except OSError:
                    pass
                finally:
                    self.hung_up.set()


def read_request(connection: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return
        data += chunk


@pytest.fixture
def peer() -> Iterator[Callable[[Callable[[socket.socket, Peer], None]], Peer]]:
    peers: list[Peer] = []

    def start(behave: Callable[[socket.socket, Peer], None]) -> Peer:
        made = Peer(behave)
        made.listener.bind(("127.0.0.1", 0))
        made.listener.listen()
        threading.Thread(target=made.serve, daemon=True).start()
        peers.append(made)
        return made

    yield start
    for each in peers:
        each.listener.close()


def drip(data: bytes, every: float) -> Callable[[socket.socket, Peer], None]:
    def behave(connection: socket.socket, peer: Peer) -> None:
        for byte in data:
            peer.send(connection, bytes([byte]))
            time.sleep(every)

    return behave


def answer_of(body: bytes) -> bytes:
    return HEADERS + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def test_a_healthy_answer_is_read_whole(peer) -> None:  # type: ignore[no-untyped-def]
    body = b"<ok/>" * 1000
    server = peer(lambda connection, me: me.send(connection, answer_of(body)))
    answer = exchange("127.0.0.1", server.port, "POST", "/x", SMALL, 2.0, b"<q/>")
    assert (answer.status, answer.body) == (200, body)


def test_an_answer_dripping_its_status_line_ends_by_the_deadline_not_per_read(peer) -> None:  # type: ignore[no-untyped-def]
    # Each byte comes well within the per-read wait; 200 of them would take 20 s.
    server = peer(drip(answer_of(b"<ok/>" * 30), 0.1))
    with pytest.raises(ExchangeError) as failure:
        exchange("127.0.0.1", server.port, "POST", "/x", SMALL, 1.0, b"<q/>")
    assert failure.value.timed_out and failure.value.detail == "no answer within 1 s"
    assert server.hung_up.wait(5)
    assert server.sent < 40, f"read {server.sent} bytes of a drip: the deadline is per read"


def test_a_body_dripping_after_its_headers_ends_by_the_deadline(peer) -> None:  # type: ignore[no-untyped-def]
    def behave(connection: socket.socket, me: Peer) -> None:
        me.send(connection, HEADERS + b"Content-Length: 1000\r\n\r\n")
        drip(b"x" * 1000, 0.1)(connection, me)

    server = peer(behave)
    with pytest.raises(ExchangeError) as failure:
        exchange("127.0.0.1", server.port, "POST", "/x", SMALL, 1.0, b"<q/>")
    assert failure.value.detail == "an answer begun but not finished within 1 s"
    assert server.hung_up.wait(5)
    assert server.sent < 200


def test_a_body_that_never_ends_is_cut_at_the_limit(peer) -> None:  # type: ignore[no-untyped-def]
    def endless(connection: socket.socket, me: Peer) -> None:
        me.send(connection, HEADERS + b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
        while me.sent < 1024 * 1024 * 1024:
            me.send(connection, chunk)

    server = peer(endless)
    with pytest.raises(ExchangeError) as failure:
        exchange("127.0.0.1", server.port, "POST", "/x", SMALL, 30.0, b"<q/>")
    assert failure.value.detail == "answer cut off: larger than 64 KiB, the limit for a test answer"
    assert server.hung_up.wait(5)
    assert server.sent < 16 * 1024 * 1024, "read far past the limit"


def test_a_declared_length_beyond_the_limit_is_refused_before_its_body(peer) -> None:  # type: ignore[no-untyped-def]
    def huge(connection: socket.socket, me: Peer) -> None:
        me.send(connection, HEADERS + f"Content-Length: {64 * 1024 * 1024}\r\n\r\n".encode())
        while True:
            me.send(connection, b" " * 65536)

    server = peer(huge)
    with pytest.raises(ExchangeError) as failure:
        exchange("127.0.0.1", server.port, "POST", "/x", SOAP_ANSWER, 30.0, b"<q/>")
    assert failure.value.detail == "answer of 67108864 bytes refused: larger than 256 KiB, the limit for a SOAP answer"


def test_an_answer_without_a_length_that_closes_past_the_limit_is_refused(peer) -> None:  # type: ignore[no-untyped-def]
    server = peer(lambda connection, me: me.send(connection, HEADERS + b"\r\n" + b"y" * (SMALL.max_bytes + 1)))
    with pytest.raises(ExchangeError, match="larger than 64 KiB"):
        exchange("127.0.0.1", server.port, "GET", "/x", SMALL, 5.0)


def test_a_peer_that_accepts_and_never_answers_ends_by_the_deadline(peer) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()
    server = peer(lambda connection, me: release.wait(30))
    try:
        with pytest.raises(ExchangeError) as failure:
            exchange("127.0.0.1", server.port, "POST", "/x", SMALL, 0.5, b"<q/>")
        assert failure.value.timed_out and "no answer within 0.5 s" == failure.value.detail
    finally:
        release.set()


def test_the_sound_is_read_to_its_limit_and_no_further(peer) -> None:  # type: ignore[no-untyped-def]
    head = AnswerLimit("a test sound", 64 * KIB, head_only=True)
    server = peer(lambda connection, me: me.send(connection, answer_of(b"z" * (256 * KIB))))
    answer = fetch(f"http://127.0.0.1:{server.port}/chimes/a.mp3", head, 5.0)
    assert answer.body == b"z" * (64 * KIB)


@pytest.mark.parametrize("document", [
    # The "billion laughs": expat 2.4+ stops it too, but only by its amplification limit.
    '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;</r>',
    '<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/xxe">]><r>&x;</r>',
    '<!DOCTYPE r SYSTEM "http://127.0.0.1:9/dtd"><r/>',
])
def test_xml_from_the_network_with_any_document_type_is_refused(document: str) -> None:
    with pytest.raises(Exception, match="refused: .*a player never declares a document type") as refused:
        parse_network_xml(document)
    assert type(refused.value).__name__ == "ParseError"


def test_xml_from_the_network_without_one_is_read() -> None:
    assert parse_network_xml('<?xml version="1.0"?><r a="1">&amp;</r>').text == "&"


def test_a_negative_chunk_size_is_refused_not_read_to_the_end(peer) -> None:  # type: ignore[no-untyped-def]
    # http.client takes "-1" for a chunk size and reads a chunk of -1 bytes: to the end of the stream.
    def negative(connection: socket.socket, me: Peer) -> None:
        me.send(connection, HEADERS + b"Transfer-Encoding: chunked\r\n\r\n-1\r\n")
        while me.sent < 64 * 1024 * 1024:
            me.send(connection, b"x" * 65536)

    server = peer(negative)
    with pytest.raises(ExchangeError, match="chunk"):
        exchange("127.0.0.1", server.port, "POST", "/x", SMALL, 30.0, b"<q/>")
    assert server.hung_up.wait(5)
    assert server.sent < 16 * 1024 * 1024, f"read {server.sent} bytes of one chunk: far past the limit"


ENVELOPE = b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">%s</s:Envelope>'


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 " + b"O" * 70000 + b"\r\n\r\n",
    b"garbage\r\n\r\n",
    b"HTTP/2.0 200 OK\r\n\r\n",
    b"HTTP/1.1 99999 OK\r\n\r\n",
    HEADERS + b"X: y\r\n" * 200 + b"\r\n",
    HEADERS + b"X: " + b"y" * 70000 + b"\r\n\r\n",
    HEADERS + b"Content-Length: -5\r\n\r\n" + ENVELOPE % b"<s:Body/>",
    HEADERS + "Content-Length: 1²\r\n\r\n".encode("latin-1") + ENVELOPE % b"<s:Body/>",
    HEADERS + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    HEADERS + b"Transfer-Encoding: chunked\r\n\r\n" + b"f" * 40 + b"\r\nabc",
    b"",
    answer_of(b"<a/>"),  # XML, but no SOAP envelope
    answer_of(ENVELOPE % b""),
    answer_of(ENVELOPE % b"<s:Body/>"),
    b"HTTP/1.1 500 Internal Server Error\r\n" + answer_of(b"<a/>").split(b"\r\n", 1)[1],
], ids=["long status line", "bad status line", "unknown protocol", "status out of range", "too many headers",
        "long header", "negative length", "junk length", "invalid chunk size", "huge chunk size", "nothing",
        "not SOAP", "no Body", "empty Body", "not a UPnP error"])
def test_garbage_from_a_player_is_a_player_error_that_names_it(peer, answer: bytes) -> None:  # type: ignore[no-untyped-def]
    server = peer(lambda connection, me: me.send(connection, answer))
    with pytest.raises(PlayerError, match=r"^GetTransportInfo on 127\.0\.0\.1: "):
        Player("127.0.0.1", server.port, 2.0).transport_state()


def test_an_https_handshake_ends_by_the_deadline_of_the_whole_exchange(peer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    server = peer(lambda connection, me: None)  # takes the connection, never says a word of TLS
    connect = socket.create_connection

    def slow_connect(*args: object, **options: object) -> socket.socket:
        time.sleep(0.6)
        return connect(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "create_connection", slow_connect)
    started = time.monotonic()
    with pytest.raises(ExchangeError) as failure:
        fetch(f"https://127.0.0.1:{server.port}/chimes/a.mp3", SMALL, 1.0)
    assert failure.value.timed_out
    assert time.monotonic() - started < 1.4, "the handshake had a deadline of its own, after the connect"


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/chime.mp3", "http://127.0.0.1:abc/chime.mp3", "https://[::1/chime.mp3"])
def test_a_sound_url_with_no_usable_port_or_host_is_an_unreachable_sound(url: str) -> None:
    # config.py takes any http(s) URL with a host part; requests refused these as InvalidURL.
    check = check_sound(url, 1.0)
    assert (check.reachable, check.detail.startswith(f"{url}: ")) == (False, True), check


def test_a_name_that_takes_long_to_resolve_ends_by_the_deadline(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    resolve = socket.getaddrinfo

    def slow_resolver(host: str, *args: object, **options: object) -> object:
        if host == "sounds.example":
            time.sleep(3.0)
        return resolve(host, *args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", slow_resolver)
    started = time.monotonic()
    with pytest.raises(ExchangeError) as failure:
        fetch("http://sounds.example/chime.mp3", SMALL, 1.0)
    assert failure.value.timed_out
    assert time.monotonic() - started < 1.4, "the name lookup had no deadline"


def test_every_address_of_a_name_shares_the_one_deadline(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as full:  # a listener whose backlog is full: a connect to it waits for ever
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        waiting = socket.create_connection(full.getsockname(), timeout=1.0)
        address = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", full.getsockname())
        monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **options: [address, address])
        started = time.monotonic()
        with pytest.raises(ExchangeError) as failure:
            fetch("http://sounds.example/chime.mp3", SMALL, 1.0)
        waiting.close()
    assert failure.value.timed_out
    assert time.monotonic() - started < 1.4, "each address had a deadline of its own"
