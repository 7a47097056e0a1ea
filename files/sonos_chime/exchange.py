"""One HTTP exchange with whatever answers on a player's address, bounded in time and size.

A device that answers the way no Sonos does (a body that never ends, an answer that drips a
byte a second, one far larger than any player sends) must cost a chime one zone, never the
host. So every exchange here ends by one deadline (connect, send, headers and body together,
not per read) and reads at most the limit of its kind of answer.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .audiofile import MAX_SOUND_BYTES
from .tasks import spawn

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class AnswerLimit:
    """The most an answer of one kind may hold: what real players send, with headroom."""

    kind: str
    max_bytes: int
    # True: an answer beyond max_bytes is read that far and the rest ignored (the sound, whose
    # header alone matters), rather than refused.
    head_only: bool = False

    def describe(self) -> str:
        size = f"{self.max_bytes // MIB} MiB" if self.max_bytes % MIB == 0 else f"{self.max_bytes // KIB} KiB"
        return f"{size}, the limit for {self.kind}"


# A GetZoneGroupState of 32 players (a household's most) is about 30 KiB inside its SOAP
# envelope (the simulator's, with current firmware's attributes: 35 KiB for 43 players); any
# other answer chime.py asks for (transport, position with its track's DIDL-Lite, levels) is a
# few KiB; a player's device description about 20 KiB. Each limit leaves tenfold headroom or more.
TOPOLOGY_ANSWER = AnswerLimit("a topology answer", 1 * MIB)
SOAP_ANSWER = AnswerLimit("a SOAP answer", 256 * KIB)
DEVICE_DESCRIPTION = AnswerLimit("a device description", 256 * KIB)
LOCAL_API_MESSAGE = AnswerLimit("a local API message", 1 * MIB)
SOUND_FILE = AnswerLimit("a chime's sound", MAX_SOUND_BYTES, head_only=True)


class ExchangeError(Exception):
    """The exchange failed; `detail` says how, in words for a log line."""

    def __init__(self, detail: str, timed_out: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.timed_out = timed_out


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    location: str | None = None  # the Location header (a redirect's target), if it had one


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"past the {self.seconds:g} s deadline")
        return left


AddressInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, Any]


def connected(host: str, port: int, deadline: Deadline) -> socket.socket:
    """A TCP connection to `host`: its name looked up and each of its addresses tried, all
    within the deadline (socket.create_connection gives each address the whole timeout)."""
    failure: OSError = OSError(f"no address for {host}")
    for family, kind, proto, _, address in addresses_of(host, port, deadline):
        connection = socket.socket(family, kind, proto)
        try:
            connection.settimeout(deadline.remaining())
            connection.connect(address)
        except OSError as error:
            connection.close()
            failure = error
            continue
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection
    raise failure


def addresses_of(host: str, port: int, deadline: Deadline) -> Sequence[AddressInfo]:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        # A name: looked up in a daemon thread, as the resolver's wait is not ours to set.
        lookup = spawn(lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        return lookup.result(timeout=deadline.remaining())
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


class DeadlineSocket(socket.socket):
    """A connected socket whose every send and receive waits no longer than the time left."""

    deadline: Deadline

    @classmethod
    def adopt(cls, connected: socket.socket, deadline: Deadline) -> DeadlineSocket:
        adopted = cls(connected.family, connected.type, connected.proto, fileno=connected.detach())
        adopted.deadline = deadline
        return adopted

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self.settimeout(self.deadline.remaining())
        return super().recv_into(buffer, nbytes, flags)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        self.settimeout(self.deadline.remaining())
        return super().recv(bufsize, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        self.settimeout(self.deadline.remaining())
        super().sendall(data, flags)


class BoundedResponse(http.client.HTTPResponse):
    def _read_next_chunk_size(self) -> int:
        # http.client reads a chunk of negative size as a read to the end of the stream.
        size: int = super()._read_next_chunk_size()  # type: ignore[misc]
        if size < 0:
            raise http.client.HTTPException(f"invalid chunk size {size}")
        return size


class DeadlineConnection(http.client.HTTPConnection):
    response_class = BoundedResponse

    def __init__(self, host: str, port: int, deadline: Deadline) -> None:
        super().__init__(host, port, timeout=deadline.seconds)
        self.deadline = deadline

    def connect(self) -> None:
        self.sock = DeadlineSocket.adopt(connected(self.host, self.port, self.deadline), self.deadline)


class DeadlineSSLSocket(ssl.SSLSocket):
    """DeadlineSocket's bound after the TLS handshake (which waits per read, up to the time left)."""

    deadline: Deadline | None = None

    def _bound(self) -> None:
        if self.deadline is not None:
            self.settimeout(self.deadline.remaining())

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        self._bound()
        return super().recv_into(buffer, nbytes, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._bound()
        super().sendall(data, flags)


class DeadlineHTTPSConnection(http.client.HTTPSConnection):
    response_class = BoundedResponse

    def __init__(self, host: str, port: int, deadline: Deadline) -> None:
        self.tls = ssl.create_default_context()
        self.tls.sslsocket_class = DeadlineSSLSocket
        super().__init__(host, port, timeout=deadline.seconds, context=self.tls)
        self.deadline = deadline

    def connect(self) -> None:
        """HTTPSConnection.connect, with the handshake given the time left after the TCP connect
        (there, it would wait the socket's timeout again)."""
        plain = connected(self.host, self.port, self.deadline)
        plain.settimeout(self.deadline.remaining())
        self.sock = self.tls.wrap_socket(plain, server_hostname=self.host)
        if isinstance(self.sock, DeadlineSSLSocket):
            self.sock.deadline = self.deadline


def fetch(url: str, limit: AnswerLimit, timeout: float | Deadline) -> Answer:
    """GET an http or https URL, bounded as `exchange` is; `timeout` may be a Deadline that
    several fetches share (a redirect's hops), each given only the time left of it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:  # a port out of range or not a number, a broken IPv6 address
        raise ExchangeError(f"not a usable URL: {error}") from error
    secure = parts.scheme == "https"
    deadline = timeout if isinstance(timeout, Deadline) else Deadline(timeout)
    port = port or (443 if secure else 80)
    host = parts.hostname or ""
    connection = DeadlineHTTPSConnection(host, port, deadline) if secure else DeadlineConnection(host, port, deadline)
    path = parts.path or "/"
    return run_exchange(connection, "GET", f"{path}?{parts.query}" if parts.query else path, limit, None, {})


def exchange(
    host: str,
    port: int,
    method: str,
    path: str,
    limit: AnswerLimit,
    timeout: float,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """Send one request and read its whole answer, within `timeout` seconds and `limit` bytes."""
    return run_exchange(DeadlineConnection(host, port, Deadline(timeout)), method, path, limit, body, headers or {})


def run_exchange(
    connection: DeadlineConnection | DeadlineHTTPSConnection,
    method: str,
    path: str,
    limit: AnswerLimit,
    body: bytes | None,
    headers: dict[str, str],
) -> Answer:
    timeout = connection.deadline.seconds
    response: http.client.HTTPResponse | None = None
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return Answer(response.status, read_body(response, limit), response.getheader("Location"))
    except TimeoutError as error:
        said = "no answer" if response is None else "an answer begun but not finished"
        raise ExchangeError(f"{said} within {timeout:g} s", timed_out=True) from error
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise ExchangeError(network_error_text(error)) from error
    finally:
        connection.close()


def read_body(response: http.client.HTTPResponse, limit: AnswerLimit) -> bytes:
    declared = response.getheader("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > limit.max_bytes and not limit.head_only:
        raise ExchangeError(f"answer of {int(declared)} bytes refused: larger than {limit.describe()}")
    if limit.head_only:
        return response.read(limit.max_bytes)
    body = response.read(limit.max_bytes + 1)
    if len(body) > limit.max_bytes:
        raise ExchangeError(f"answer cut off: larger than {limit.describe()}")
    return body


def network_error_text(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return f"{type(error).__name__}: {str(error)[:160]}"
