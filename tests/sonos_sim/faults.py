"""Faults from the household file, decided per request."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .schema import FaultSpec


@dataclass(frozen=True)
class Decision:
    """What to do with one request instead of (or before) answering it normally."""

    delay: float = 0.0
    upnp_error: int | None = None
    reset: bool = False
    no_answer: bool = False

    @property
    def injected(self) -> str | None:
        if self.reset:
            return "reset"
        if self.no_answer:
            return "no_answer"
        if self.upnp_error is not None:
            return f"upnp_error {self.upnp_error}"
        return None


@dataclass
class FaultInjector:
    faults: tuple[FaultSpec, ...]
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    matches: dict[int, int] = field(default_factory=dict)

    def decide(self, player: str, action: str) -> Decision:
        delay = 0.0
        upnp_error: int | None = None
        reset = no_answer = False
        for index, fault in enumerate(self.faults):
            if fault.player is not None and fault.player != player:
                continue
            if fault.kind == "latency":
                delay += fault.fixed + self.rng.uniform(0.0, fault.jitter)
                continue
            if fault.kind not in ("upnp_error", "reset", "no_answer"):
                continue
            if fault.action is not None and fault.action != action:
                continue
            if not self._fires(index, fault):
                continue
            if fault.kind == "upnp_error":
                upnp_error = fault.code
            elif fault.kind == "reset":
                reset = True
            else:
                no_answer = True
        return Decision(delay=delay, upnp_error=upnp_error, reset=reset, no_answer=no_answer)

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
