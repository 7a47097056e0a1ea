"""SOAP envelopes in and out, byte-compatible with what Sonos players send."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = 'text/xml; charset="utf-8"'
SERVER_HEADER = "Linux UPnP/1.0 Sonos/85.0-64200 (ZPS1)"

class BadRequest(Exception):
    """Not a SOAP request at all (a player answers these with HTTP 400)."""


class InvalidArguments(BadRequest):
    """A request well-formed but for characters XML 1.0 cannot carry (NUL, ESC, ...), raw or as
    character references, in its arguments: answered as an invalid argument (UPnP 402)."""

    def __init__(self, action: str, arguments: dict[str, str]) -> None:
        super().__init__(f"{action}: an argument holds a character XML 1.0 cannot carry")
        self.action = action
        self.arguments = arguments


# Characters XML 1.0 has no place for, raw or as a character reference (&#27; &#x1b;).
_NOT_XML = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
    "|&#0*(?:[0-8]|1[1-2]|1[4-9]|2[0-9]|3[01]|65534|65535);"
    "|&#[xX]0*(?:[0-8]|[bBcC]|[eEfF]|1[0-9a-fA-F]|[fF]{3}[eEfF]);"
)


def xml_text(value: str) -> str:
    """Element text that parses back to exactly `value` (a CR as &#13;: a parser turns a raw one into LF)."""
    return escape(value, {"\r": "&#13;"})


def xml_attr(value: str) -> str:
    """A double-quoted attribute value that parses back exactly (line breaks and tabs as
    references: a parser turns raw ones into spaces)."""
    return '"' + escape(value, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}) + '"'


def parse_request(soap_action_header: str, body: bytes) -> tuple[str, dict[str, str]]:
    """Return (action, arguments) from a SOAPACTION header and an envelope."""
    action_from_header = soap_action_header.strip().strip('"').rpartition("#")[2]
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        _refuse_unrepresentable(action_from_header, body)
        raise BadRequest(f"malformed XML: {exc}") from exc
    return _action_and_arguments(root, action_from_header)


def _refuse_unrepresentable(action_from_header: str, body: bytes) -> None:
    """A body that parses once the characters XML 1.0 cannot carry are taken out is a request
    with an invalid argument, not a malformed one: raise InvalidArguments for it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return
    cleaned, count = _NOT_XML.subn("", text)
    if not count:
        return
    try:
        action, arguments = _action_and_arguments(ET.fromstring(cleaned.encode("utf-8")), action_from_header)
    except (ET.ParseError, BadRequest):
        return
    raise InvalidArguments(action, arguments)


def _action_and_arguments(root: ET.Element, action_from_header: str) -> tuple[str, dict[str, str]]:
    envelope_body = root.find(f"{{{SOAP_ENV}}}Body")
    if envelope_body is None or len(envelope_body) == 0:
        raise BadRequest("no SOAP Body")
    call = envelope_body[0]
    action = call.tag.rpartition("}")[2]
    if action_from_header and action_from_header != action:
        raise BadRequest("SOAPACTION header and body disagree")
    arguments = {child.tag.rpartition("}")[2]: child.text or "" for child in call}
    return action, arguments


def response_body(service_type: str, action: str, outputs: dict[str, str]) -> bytes:
    arguments = "".join(f"<{name}>{xml_text(value)}</{name}>" for name, value in outputs.items())
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
        f'<s:Body><u:{action}Response xmlns:u="{service_type}">{arguments}</u:{action}Response></s:Body></s:Envelope>'
    ).encode()


def fault_body(code: int) -> bytes:
    """A UPnP fault as players send it: the code alone, no errorDescription."""
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
        "<s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
        f'<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>{code}</errorCode></UPnPError>'
        "</detail></s:Fault></s:Body></s:Envelope>"
    ).encode()
