"""The journal's lines: one per zone and step, `key=value` fields a person or a script reads."""

from __future__ import annotations

import dataclasses
import logging
import sys
from dataclasses import dataclass

LOG = logging.getLogger("sonos-chime")


def quote(text: str) -> str:
    return f'"{text}"' if (" " in text or not text) else text


@dataclass(frozen=True)
class ZoneLog:
    """Writes a zone's lines; what is known of the zone so far goes into every line."""

    zone: str
    group: str = "?"
    source: str = "?"

    def in_group(self, label: str) -> ZoneLog:
        return dataclasses.replace(self, group=label)

    def playing(self, source: str) -> ZoneLog:
        return dataclasses.replace(self, source=source)

    def __call__(self, step: str, message: str = "", level: int = logging.INFO, **fields: object) -> None:
        parts = [f"zone={quote(self.zone)}", f"group={quote(self.group)}", f"step={step}"]
        if self.source != "?":
            parts.append(f"source={self.source}")
        parts += [f"{name}={quote(str(value))}" for name, value in fields.items()]
        if message:
            parts.append(f"- {message}")
        LOG.log(level, " ".join(parts))

    def exception(self, message: str) -> None:
        LOG.exception("zone=%s %s", quote(self.zone), message)


def setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    for old in list(LOG.handlers):
        LOG.removeHandler(old)
    LOG.addHandler(handler)
    LOG.setLevel(logging.DEBUG if verbose else logging.INFO)
    LOG.propagate = False
    logging.getLogger("soco").setLevel(logging.INFO if verbose else logging.ERROR)
