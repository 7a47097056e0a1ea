"""The journal's lines: one per zone and step, `key=value` fields a person or a script reads.

Names come from the household (anyone on the network can rename a room in the Sonos app)
and from the config, so a name may hold anything: a line break, a terminal's escape, a
right-to-left override. Every name goes into a line through `quote`, and the formatter that
`setup_logging` installs escapes whatever unsafe character is left, so that one record is
one journal line and no value can start a line of its own.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import sys
from dataclasses import dataclass

LOG = logging.getLogger("sonos-chime")

# Control characters (category Cc), the line and paragraph separators (Zl, Zp) and the
# bidirectional formatting characters: each could break a line or make it read otherwise.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# A field value made only of these is written as it is (numbers, states, URIs); anything else is quoted.
PLAIN = re.compile(r"[A-Za-z0-9_.,:;/@+#%?&=~()\[\]-]+")
TRACE_INDENT = "    "  # a traceback's lines: never a level name at the start


def _escape_code(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: str) -> str:
    """Every unsafe character as \\xNN (below 0x100) or \\uNNNN; nothing else changes."""
    return UNSAFE.sub(_escape_code, text)


def escape(text: str) -> str:
    """Backslash as \\\\, double quote as \\", every unsafe character as neutralise writes it."""
    return neutralise(text.replace("\\", "\\\\").replace('"', '\\"'))


ESCAPED = re.compile(r'\\(\\|"|x[0-9a-f]{2}|u[0-9a-f]{4})')


def unescape(text: str) -> str:
    """What escape wrote, back as it was (history reads names back from the journal)."""
    return ESCAPED.sub(lambda match: match.group(1) if len(match.group(1)) == 1 else chr(int(match.group(1)[1:], 16)), text)


def quote(text: str) -> str:
    """A name as it goes into a line: always in double quotes, escaped."""
    return f'"{escape(text)}"'


def field_value(value: object) -> str:
    text = str(value)
    return text if PLAIN.fullmatch(text) else quote(text)


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
            parts.append(f"source={field_value(self.source)}")
        parts += [f"{name}={field_value(value)}" for name, value in fields.items()]
        if message:
            parts.append(f"- {message}")
        LOG.log(level, "%s", " ".join(parts))

    def exception(self, message: str) -> None:
        LOG.exception("zone=%s %s", quote(self.zone), message)


class JournalFormatter(logging.Formatter):
    """`LEVEL message` on one line whatever the message holds; a traceback or stack follows
    on lines of its own, each escaped the same way and indented."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname} {neutralise(record.getMessage())}"
        return "\n".join([line, *(TRACE_INDENT + neutralise(text) for text in self.trace_lines(record))])

    def trace_lines(self, record: logging.LogRecord) -> list[str]:
        lines: list[str] = []
        if record.exc_info and record.exc_info[0] is not None:
            lines += self.formatException(record.exc_info).split("\n")
        if record.stack_info:
            lines += self.formatStack(record.stack_info).split("\n")
        return lines


def setup_logging(verbose: bool) -> None:
    """Every record, the libraries' too, goes to stderr through the JournalFormatter."""
    root = logging.getLogger()
    for old in [handler for handler in root.handlers if isinstance(handler.formatter, JournalFormatter)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JournalFormatter())
    root.addHandler(handler)
    for old in list(LOG.handlers):
        LOG.removeHandler(old)
    LOG.setLevel(logging.DEBUG if verbose else logging.INFO)
    LOG.propagate = True
    # SoCo's warnings only with -v, its errors always: what reached stderr before it came here.
    logging.getLogger("soco").setLevel(logging.WARNING if verbose else logging.ERROR)
