"""HTTP on port 1400 for each player, and the household runtime (in this loop or a thread)."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from . import content, minor_services, soap  # noqa: F401 - content and minor_services register handlers
from .actions import COORDINATOR_ONLY, HANDLERS, Call
from .clipapi import ClipServer, household_tls
from .descriptions import device_description, player_services, scpd_xml
from .eventlog import EventLog
from .faults import Decision, FaultInjector, HostileAnswer
from .gena import EVENTED, Gena, SubscriptionError
from .hostile import (
    CANARY_PATH,
    Answer,
    Frame,
    Wire,
    description_frame,
    hostile_body,
    malformed_body,
    send_dripping,
    send_endless,
    send_padded,
    soap_frame,
)
from .media import tiny_png
from .model import Household, Player, PlayerState, UpnpFault
from .schema import FaultSpec, HouseholdSpec
from .services import Service
from .ssdp import Scope, SsdpResponder

PORT = 1400
RECEIVED = web.RequestKey("received", float)
T = TypeVar("T")


@dataclass
class PlayerServer:
    """One player's HTTP endpoint and its request accounting."""

    household: Household
    player: Player
    faults: FaultInjector
    gena: Gena
    port: int = PORT
    runner: web.AppRunner | None = None
    site: web.TCPSite | None = None
    vanished: bool = False
    vanish_how: str = "refuse"
    held: set[asyncio.Task[Any]] = field(default_factory=set)
    streaming: set[asyncio.Task[Any]] = field(default_factory=set)  # hostile answers under way
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    vanish_spent: bool = False

    @property
    def server_header(self) -> str:
        """The Server header of its firmware (S1 or S2) on every answer."""
        return self.household.spec.firmware.server_header()

    async def _sonos_server_header(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = self.server_header

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        app.on_response_prepare.append(self._sonos_server_header)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self.runner.setup()
        self.site = web.TCPSite(self.runner, self.player.ip, self.port, reuse_address=True, backlog=256)
        await self.site.start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def vanish(self, fault: FaultSpec) -> None:
        """Disappear: stop listening ("refuse") or keep accepting and never answer ("silent");
        with a duration, come back after it."""
        how = fault.how
        self.vanished = True
        self.vanish_spent = True
        self.vanish_how = how
        loop = asyncio.get_running_loop()
        if fault.forget_after is not None:
            self.timers.append(loop.call_later(fault.forget_after, self.household.forget, self.player))
        args: dict[str, Any] = {"how": how} if fault.duration is None else {"how": how, "duration": fault.duration}
        self._log_state("vanished", args)
        if how == "refuse" and self.site is not None:
            await self.site.stop()
            self.site = None
        if fault.duration is not None:
            self.timers.append(loop.call_later(fault.duration, lambda: self._spawn(self.come_back())))

    async def come_back(self) -> None:
        """Answer again: listen if it had stopped, end the requests it held, rejoin the topology."""
        for task in list(self.held):
            task.cancel()
        if self.site is None and self.runner is not None:
            self.site = web.TCPSite(self.runner, self.player.ip, self.port, reuse_address=True, backlog=256)
            await self.site.start()
        self.vanished = False
        if self.player.uid in self.household.forgotten:
            self.household.remember(self.player)
        self._log_state("returned", {})

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _log_state(self, cause: str, args: dict[str, Any]) -> None:
        self.household.events.write({**self._base(), "kind": "state", "service": None, "action": cause,
                                     "args": args, "result": None, "fault": None, **self._snapshot()})

    async def _hold_forever(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.held.add(task)
        await asyncio.Event().wait()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        request[RECEIVED] = time.monotonic()
        if not self.vanished:
            self.player.requests_served += 1
            vanish = self.faults.vanish(self.player.key)
            if vanish is not None and not self.vanish_spent and self.player.requests_served > vanish.after:
                await self.vanish(vanish)
        if self.vanished:
            if self.vanish_how == "silent":
                await self._hold_forever()
            _reset_connection(request)
            return web.Response(status=500)
        body = await request.read()
        if request.method == "POST":
            return await self._soap(request, body)
        return await self._plain(request)

    async def _plain(self, request: web.Request) -> web.StreamResponse:
        decision = self.faults.decide(self.player.key, f"{request.method} {request.path}")
        if decision.delay:
            await asyncio.sleep(decision.delay)
        path = request.path
        status, body, content_type = 404, b"", soap.CONTENT_TYPE
        scpd = {service.scpd_url: service for service in player_services(self.player)}
        if request.method == "GET" and path == "/xml/device_description.xml":
            status, body = 200, device_description(self.household, self.player).encode("utf-8")
        elif request.method == "GET" and path in scpd:
            status, body = 200, scpd_xml(scpd[path]).encode("utf-8")
        elif request.method == "GET" and (path == "/getaa" or path.startswith("/img/")):
            status, body, content_type = 200, tiny_png(), "image/png"
        elif request.method == "GET" and path == CANARY_PATH:
            status, body, content_type = 200, b"an XML parser fetched an external entity", "text/plain"
        elif request.method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            return self._subscription(request)
        action = f"{request.method} {path}"
        hostile = decision.hostile
        if hostile is not None and not hostile.carried_out:
            self._log_request(None, action, {}, None, None, decision, request)
            return await self._answer_hostile(request, None, action, hostile, description_frame())
        self._log_request(None, action, {}, {"status": status}, None, decision, request)
        if await self._apply_connection_faults(request, decision):
            return web.Response(status=500)
        if decision.late_answer:
            await self._withhold_answer(decision)
        if hostile is not None:
            answer = Answer(status, body, content_type)
            return await self._answer_hostile(request, None, action, hostile, description_frame(), answer)
        return web.Response(status=status, body=body, headers={"Content-Type": content_type, "Server": self.server_header})

    def _subscription(self, request: web.Request) -> web.Response:
        """GENA SUBSCRIBE (new or renewal) and UNSUBSCRIBE on the services that event."""
        action = f"{request.method} {request.path}"
        request_headers = {key.upper(): value for key, value in request.headers.items()}
        if request.path not in EVENTED:
            self._log_request(None, action, {}, {"status": 404}, None, Decision())
            return web.Response(status=404)
        try:
            if request.method == "UNSUBSCRIBE":
                self.gena.unsubscribe(request_headers)
                self._log_request(None, action, {"SID": request_headers.get("SID", "")}, {"status": 200}, None, Decision())
                return web.Response(status=200, headers={"Server": self.server_header})
            subscription, timeout = self.gena.subscribe(self.player, request.path, request_headers)
        except SubscriptionError as error:
            self._log_request(None, action, {}, {"status": error.status}, None, Decision())
            return web.Response(status=error.status)
        args = {"CALLBACK": request_headers.get("CALLBACK", ""), "SID": request_headers.get("SID", "")}
        self._log_request(None, action, args, {"status": 200, "SID": subscription.sid}, None, Decision())
        headers = {"SID": subscription.sid, "TIMEOUT": f"Second-{timeout}", "Server": self.server_header}
        return web.Response(status=200, headers=headers)

    async def _soap(self, request: web.Request, body: bytes) -> web.StreamResponse:
        service = {s.control_url: s for s in player_services(self.player)}.get(request.path)
        if service is None:
            self._log_request(None, f"POST {request.path}", {}, {"status": 404}, None, Decision())
            return web.Response(status=404)
        try:
            action, args = soap.parse_request(request.headers.get("SOAPACTION", ""), body)
        except soap.InvalidArguments as invalid:
            self._log_request(service.name, invalid.action, invalid.arguments, None, 402, Decision(), request)
            return web.Response(status=500, body=soap.fault_body(402), headers={"Content-Type": soap.CONTENT_TYPE, "Server": self.server_header})
        except soap.BadRequest as exc:
            self._log_request(service.name, "?", {}, {"status": 400, "reason": str(exc)}, None, Decision())
            return web.Response(status=400, text=str(exc))
        decision = self.faults.decide(self.player.key, action)
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.reset or decision.no_answer:
            self._log_request(service.name, action, args, None, None, decision, request)
            await self._apply_connection_faults(request, decision)
            return web.Response(status=500)
        hostile = decision.hostile
        if hostile is not None and not hostile.carried_out:
            self._log_request(service.name, action, args, None, None, decision, request)
            return await self._answer_hostile(request, service.name, action, hostile, _action_frame(service, action))
        result: dict[str, str] | None = None
        code: int | None = decision.upnp_error
        if code is None:
            try:
                result = await self._dispatch(service, action, args)
            except UpnpFault as fault:
                code = fault.code
        self._log_request(service.name, action, args, result, code, decision, request)
        if decision.late_answer:
            await self._withhold_answer(decision)
        if code is not None:
            answer = Answer(500, soap.fault_body(code))
        else:
            assert result is not None
            answer = Answer(200, soap.response_body(service.service_type, action, result))
        if hostile is not None:
            return await self._answer_hostile(request, service.name, action, hostile, _action_frame(service, action), answer)
        return web.Response(status=answer.status, body=answer.body, headers={"Content-Type": soap.CONTENT_TYPE, "Server": self.server_header})

    async def _dispatch(self, service: Service, action: str, args: dict[str, str]) -> dict[str, str]:
        handler = HANDLERS.get((service.name, action))
        if handler is None or service.action(action) is None:
            raise UpnpFault(401, "invalid action")
        if action in COORDINATOR_ONLY and service.name == "AVTransport" and not self.household.is_coordinator(self.player):
            raise UpnpFault(800, "not the group coordinator")
        return await handler(Call(self.household, self.player, args))

    async def _apply_connection_faults(self, request: web.Request, decision: Decision) -> bool:
        if decision.reset:
            _reset_connection(request)
            return True
        if decision.no_answer:
            await self._hold_forever()
        return False

    async def _withhold_answer(self, decision: Decision) -> None:
        """late_answer: the request is carried out; its answer goes out `answer_delay` later, or never."""
        if decision.answer_delay is None:
            await self._hold_forever()
        else:
            await asyncio.sleep(decision.answer_delay)

    async def _answer_hostile(
        self,
        request: web.Request,
        service: str | None,
        action: str,
        hostile: HostileAnswer,
        frame: Frame,
        answer: Answer | None = None,
    ) -> web.Response:
        """Send a hostile answer on the connection itself; log `answer_cut` if the client hangs
        up first. The connection is closed after it, so aiohttp's own response goes nowhere."""
        wire = Wire(request)
        task = asyncio.current_task()
        if task is not None:
            self.streaming.add(task)
        try:
            await self._send_hostile(wire, hostile, frame, answer)
        except ConnectionError:
            self._log_cut(service, action, wire.sent)
        finally:
            self.streaming.discard(task)
            wire.close()
        return web.Response(status=500)

    async def _send_hostile(self, wire: Wire, hostile: HostileAnswer, frame: Frame, answer: Answer | None) -> None:
        if hostile.kind == "endless_body":
            await send_endless(wire, frame)
        elif hostile.kind == "malformed_xml":
            await wire.send(_whole(Answer(200, malformed_body(frame))))
        elif hostile.kind == "hostile_xml":
            canary = f"http://{self.player.ip}:{self.port}{CANARY_PATH}"
            await wire.send(_whole(Answer(200, hostile_body(frame, hostile.payload, canary))))
        elif hostile.kind == "drip":
            assert answer is not None
            await send_dripping(wire, answer, hostile.interval, hostile.start)
        else:
            assert answer is not None
            await send_padded(wire, answer, hostile.size)

    def _log_cut(self, service: str | None, action: str, bytes_sent: int) -> None:
        """The client hung up before a streamed or dripped answer was complete."""
        self.household.events.write({**self._base(), "kind": "answer_cut", "service": service, "action": action,
                                     "args": {}, "result": None, "fault": None, "bytes_sent": bytes_sent,
                                     **self._snapshot()})

    def _base(self) -> dict[str, Any]:
        return {"player": self.player.name, "uid": self.player.uid}

    def _snapshot(self) -> dict[str, Any]:
        return self.household.snapshot_fields(self.player)

    def _log_request(
        self,
        service: str | None,
        action: str,
        args: dict[str, str],
        result: dict[str, Any] | None,
        fault: int | None,
        decision: Decision,
        request: web.Request | None = None,
    ) -> None:
        event: dict[str, Any] = {
            **self._base(),
            "kind": "request",
            "service": service,
            "action": action,
            "args": args,
            "result": result,
            "fault": fault,
            **self._snapshot(),
        }
        if decision.injected is not None:
            event["injected"] = decision.injected
        event.update(decision.withheld)
        if decision.delay:
            event["delay"] = round(decision.delay, 4)
        if request is not None and RECEIVED in request:
            event["received"] = request[RECEIVED]
        self.household.events.write(event)


def _action_frame(service: Service, action: str) -> Frame:
    declared = service.action(action)
    first_output = declared.outputs[0] if declared is not None and declared.outputs else None
    return soap_frame(service.service_type, action, first_output)


def _whole(answer: Answer) -> bytes:
    return answer.head(len(answer.body)) + answer.body




def _reset_connection(request: web.Request) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a crashing player's stack does."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


class HouseholdRuntime:
    """A household on the current event loop: its servers, SSDP responder and timers."""

    def __init__(
        self,
        spec: HouseholdSpec,
        events: EventLog,
        ip_overrides: dict[str, str] | None = None,
        ssdp: bool = True,
        ssdp_scope: Scope | None = None,
    ) -> None:
        self.household = Household(spec, events, ip_overrides)
        self.faults = FaultInjector(spec.faults)
        self.gena = Gena(self.household)
        self.servers = {
            name: PlayerServer(self.household, player, self.faults, self.gena) for name, player in self.household.players.items()
        }
        tls = household_tls()
        self.clip_servers = {
            name: ClipServer(self.household, server.player, self.faults, tls, answering=lambda server=server: not server.vanished)
            for name, server in self.servers.items()
            if spec.firmware.local_api
        }
        self.ssdp = SsdpResponder(self.household, self.servers, ssdp_scope) if ssdp else None
        self._timers: list[asyncio.TimerHandle] = []

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.household.attach(loop)
        for server in self.servers.values():
            await server.start()
        for clip_server in self.clip_servers.values():
            await clip_server.start()
        if self.ssdp is not None:
            await self.ssdp.start()
        for fault in self.faults.regroups():
            self._timers.append(loop.call_later(fault.at, self.household.apply_groups, fault.groups))
        self.household.events.write({"player": None, "uid": None, "kind": "state", "service": None, "action": "household_started",
                                     "args": {}, "result": None, "fault": None, "transport_state": None, "uri": None,
                                     "position": None, "volume": None, "mute": None})

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for player in self.household.players.values():
            for handle in (player.transport.timer, player.transport.sleep_timer):
                if handle is not None:
                    handle.cancel()
        if self.ssdp is not None:
            self.ssdp.stop()
        self.gena.close()
        for server in self.servers.values():
            for handle in server.timers:
                handle.cancel()
            for task in [*server.held, *server.streaming]:
                task.cancel()
        await asyncio.gather(*(server.stop() for server in self.servers.values()))
        await asyncio.gather(*(clip_server.stop() for clip_server in self.clip_servers.values()))
        await _cancel_other_tasks()


async def _cancel_other_tasks() -> None:
    """Ramps and NOTIFYs still under way end with the household."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


class ThreadedHousehold:
    """A household whose event loop runs in a background thread (for pytest and tools)."""

    def __init__(
        self,
        spec: HouseholdSpec,
        ip_overrides: dict[str, str] | None = None,
        events_path: str | None = None,
        ssdp: bool = True,
        ssdp_scope: Scope | None = None,
    ) -> None:
        self.events_log = EventLog(events_path)
        self.runtime = HouseholdRuntime(spec, self.events_log, ip_overrides, ssdp=ssdp, ssdp_scope=ssdp_scope)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="sonos-sim", daemon=True)

    def start(self) -> None:
        self._thread.start()
        try:
            self.call(self.runtime.start())
        except BaseException:
            self.stop()
            raise

    @property
    def is_running(self) -> bool:
        return self._thread.is_alive()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def state(self, name: str) -> PlayerState:
        async def read() -> PlayerState:
            household = self.runtime.household
            return household.state_of(household.players[name])

        return self.call(read())

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            self.call(self.runtime.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()
            self.events_log.close()
