"""Faults from the household file, decided per request."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .schema import REQUEST_FAULT_KINDS, FaultSpec


@dataclass(frozen=True)
class Decision:
    """What to do with one request instead of (or before) answering it normally."""

    delay: float = 0.0
    upnp_error: int | None = None
    reset: bool = False
    no_answer: bool = False
    late_answer: bool = False  # carried out, its answer withheld
    answer_delay: float | None = None  # with late_answer: sent this much later; None: never

    @property
    def injected(self) -> str | None:
        if self.reset:
            return "reset"
        if self.no_answer:
            return "no_answer"
        if self.late_answer:
            return "late_answer"
        if self.upnp_error is not None:
            return f"upnp_error {self.upnp_error}"
        return None

    @property
    def withheld(self) -> dict[str, Any]:
        """How the answer is withheld (late_answer), as the event log says it."""
        if not self.late_answer:
            return {}
        if self.answer_delay is None:
            return {"answer": "lost"}
        return {"answer": "late", "answer_delay": self.answer_delay}


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
            else:
                no_answer = True
        return Decision(delay=delay, upnp_error=upnp_error, reset=reset, no_answer=no_answer,
                        late_answer=late_answer, answer_delay=answer_delay)


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
