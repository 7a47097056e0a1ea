"""SOAP envelopes in and out, byte-compatible with what Sonos players send."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = 'text/xml; charset="utf-8"'

class BadRequest(Exception):
    """Not a SOAP request at all (a player answers these with HTTP 400)."""


def parse_request(soap_action_header: str, body: bytes) -> tuple[str, dict[str, str]]:
    """Return (action, arguments) from a SOAPACTION header and an envelope."""
    action_from_header = soap_action_header.strip().strip('"').rpartition("#")[2]
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise BadRequest(f"malformed XML: {exc}") from exc
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
    arguments = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in outputs.items())
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
