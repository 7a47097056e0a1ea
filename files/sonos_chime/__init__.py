"""sonos-chime: play a short chime on Sonos zones, then put everything back as it was.

`chime.py` (files/chime.py) is the entry point; `cli` reads its command line. The modules
follow a zone's run: `config` (the contract with the role), `locate`, `snapshot`, `plan`,
`play`, `watch`, `restore`, tied together by `zone` and `run`. Importing this package
imports nothing but the standard library: the role's preflight loads `config` on the
controller, where SoCo is not installed.
"""

__version__ = "2.1.0"
