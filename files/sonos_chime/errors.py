"""What can go wrong with a player, as the steps of a zone's run see it."""

from __future__ import annotations

# UPnP errors worth one more try: players answer 701 (transition not available) for a moment
# while they change source, and 402/714 now and then from busy stream services. Others
# (711 illegal seek target, 800 not a coordinator, ...) are reported at once.
TRANSIENT_UPNP_ERRORS = ("701", "714", "402")


class PlayerError(Exception):
    """A player did not answer in time, could not be reached, or answered with an error."""

    def __init__(self, host: str, action: str, detail: str, upnp_code: str | None = None) -> None:
        super().__init__(f"{action} on {host}: {detail}")
        self.host = host
        self.action = action
        self.upnp_code = upnp_code

    @property
    def lost(self) -> bool:
        """No answer came: the request may or may not have been carried out."""
        return self.upnp_code is None

    @property
    def transient(self) -> bool:
        return self.lost or self.upnp_code in TRANSIENT_UPNP_ERRORS


class ZoneFailure(Exception):
    """This zone cannot be chimed; nothing was changed."""
