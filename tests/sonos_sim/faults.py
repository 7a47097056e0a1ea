"""Faults from the household file, decided per request."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .schema import (
    DRIP_INTERVAL,
    HOSTILE_KINDS,
    OVERSIZED_SIZE,
    REQUEST_FAULT_KINDS,
    FaultSpec,
)

# Hostile answers to a request that is not carried out (the others carry it out first).
INSTEAD_OF_ANSWER = ("endless_body", "malformed_xml", "hostile_xml")


@dataclass(frozen=True)
class HostileAnswer:
    """An answer no Sonos gives (schema.HOSTILE_KINDS), with its options resolved."""

    kind: str
    interval: float = DRIP_INTERVAL
    start: str = "status"
    size: int = OVERSIZED_SIZE
    payload: str = "laughs"

    @classmethod
    def from_fault(cls, fault: FaultSpec) -> HostileAnswer:
        return cls(
            kind=fault.kind,
            interval=DRIP_INTERVAL if fault.interval is None else fault.interval,
            start=fault.start or "status",
            size=OVERSIZED_SIZE if fault.size is None else fault.size,
            payload=fault.payload or "laughs",
        )

    @property
    def carried_out(self) -> bool:
        return self.kind not in INSTEAD_OF_ANSWER

    @property
    def options(self) -> dict[str, Any]:
        """The options of this kind, as the event log says them beside `injected`."""
        if self.kind == "drip":
            return {"interval": self.interval, "start": self.start}
        if self.kind == "oversized":
            return {"size": self.size}
        if self.kind == "hostile_xml":
            return {"payload": self.payload}
        return {}


@dataclass(frozen=True)
class Decision:
    """What to do with one request instead of (or before) answering it normally."""

    delay: float = 0.0
    upnp_error: int | None = None
    reset: bool = False
    no_answer: bool = False
    late_answer: bool = False  # carried out, its answer withheld
    answer_delay: float | None = None  # with late_answer: sent this much later; None: never
    hostile: HostileAnswer | None = None

    @property
    def injected(self) -> str | None:
        if self.reset:
            return "reset"
        if self.no_answer:
            return "no_answer"
        if self.hostile is not None:
            return self.hostile.kind
        if self.late_answer:
            return "late_answer"
        if self.upnp_error is not None:
            return f"upnp_error {self.upnp_error}"
        return None

    @property
    def withheld(self) -> dict[str, Any]:
        """How the answer is withheld (late_answer) or spoilt (a hostile kind), as the event log says it."""
        spoilt = {} if self.hostile is None else self.hostile.options
        if not self.late_answer:
            return spoilt
        if self.answer_delay is None:
            return {**spoilt, "answer": "lost"}
        return {**spoilt, "answer": "late", "answer_delay": self.answer_delay}


@dataclass
class FaultInjector:
    faults: tuple[FaultSpec, ...]
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    matches: dict[int, int] = field(default_factory=dict)

    def decide(self, player: str, action: str) -> Decision:
        delay = 0.0
        upnp_error: int | None = None
        reset = no_answer = late_answer = False
        answer_delay: float | None = None
        hostile: HostileAnswer | None = None
        for index, fault in enumerate(self.faults):
            if fault.player is not None and fault.player != player:
                continue
            if fault.kind == "latency":
                delay += fault.fixed + self.rng.uniform(0.0, fault.jitter)
                continue
            if fault.kind not in REQUEST_FAULT_KINDS:
                continue
            if fault.action is not None and fault.action != action:
                continue
            if not self._fires(index, fault):
                continue
            if fault.kind == "upnp_error":
                upnp_error = fault.code
            elif fault.kind == "reset":
                reset = True
            elif fault.kind == "late_answer":
                late_answer, answer_delay = True, fault.delay
            elif fault.kind in HOSTILE_KINDS:
                hostile = HostileAnswer.from_fault(fault)
            else:
                no_answer = True
        return Decision(delay=delay, upnp_error=upnp_error, reset=reset, no_answer=no_answer,
                        late_answer=late_answer, answer_delay=answer_delay, hostile=hostile)

    def _fires(self, index: int, fault: FaultSpec) -> bool:
        count = self.matches.get(index, 0) + 1
        self.matches[index] = count
        if fault.mode == "once":
            return count == fault.after + 1
        if fault.mode == "after":
            return count > fault.after
        return True

    def vanish(self, player: str) -> FaultSpec | None:
        for fault in self.faults:
            if fault.kind == "vanish" and fault.player == player:
                return fault
        return None

    def regroups(self) -> list[FaultSpec]:
        return [fault for fault in self.faults if fault.kind == "regroup"]
