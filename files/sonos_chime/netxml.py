"""XML from the network, parsed with no document type declaration.

A DTD is where entity expansion ("billion laughs") and external entities come from, and no
Sonos player sends one in a SOAP answer, a topology or a device description. defusedxml
refuses the declaration itself (forbid_dtd), before any entity is read, whatever the expat
version underneath.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as DefusedET  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException


def parse_network_xml(document: str | bytes) -> ET.Element:
    """The document's root; ET.ParseError for malformed XML or any DTD or entity declaration."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    try:
        return DefusedET.fromstring(data, forbid_dtd=True)  # type: ignore[no-any-return]
    except DefusedXmlException as refused:
        raise ET.ParseError(f"refused: {refused} (a player never declares a document type)") from refused
