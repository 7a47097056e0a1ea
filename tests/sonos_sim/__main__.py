"""`python -m sonos_sim serve HOUSEHOLD.yml --events EVENTS.jsonl`: run until SIGTERM.

`python -m sonos_sim check HOUSEHOLD.yml...`: validate household files (exit 2 naming the key).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import signal
import sys

from .eventlog import EventLog
from .schema import HouseholdError, load_household, require_addresses
from .server import HouseholdRuntime
from .ssdp import household_scope


async def serve(household_path: str, events_path: str | None, ssdp: bool, answer_any: bool = False,
                answer_from: tuple[str, ...] = ()) -> None:
    spec = load_household(household_path)
    require_addresses(spec)
    events = EventLog(events_path, keep=False)
    scope = None if answer_any else household_scope([p.ip for p in spec.players], answer_from)
    runtime = HouseholdRuntime(spec, events, ssdp=ssdp, ssdp_scope=scope)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await runtime.start()
        for player in runtime.household.players.values():
            print(f"{shown(player.name)}\t{player.ip}:1400\t{player.uid}", flush=True)
        await stop.wait()
    finally:
        await runtime.stop()
        events.close()


def shown(name: str) -> str:
    """A name as it is, or, if it holds a character str.isprintable refuses (a tab, a line
    break, a bidi control, any other control or separator), as a JSON string: one player a line."""
    return name if name.isprintable() else json.dumps(name)


def _network(text: str) -> str:
    try:
        return str(ipaddress.IPv4Network(text, strict=False))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sonos_sim", description="simulated Sonos household")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run a household until SIGTERM")
    serve_parser.add_argument("household", help="household YAML file")
    serve_parser.add_argument("--events", help="append the event log (JSON lines) to this file")
    serve_parser.add_argument("--no-ssdp", action="store_true", help="do not answer M-SEARCH")
    serve_parser.add_argument("--ssdp-from", action="append", default=[], metavar="ADDRESS[/PREFIX]", type=_network,
                              help="also answer searches from this address or network (default: only the household's "
                                   "own network: its subnet on a real interface, its own addresses on loopback)")
    serve_parser.add_argument("--ssdp-any", action="store_true", help="answer searches from anywhere")
    check_parser = commands.add_parser("check", help="validate household files and exit")
    check_parser.add_argument("households", nargs="+", help="household YAML files")
    options = parser.parse_args(argv)
    try:
        if options.command == "check":
            for path in options.households:
                spec = load_household(path)
                print(f"{path}: {len(spec.players)} players, {len(spec.groups)} groups, {len(spec.faults)} faults")
            return 0
        asyncio.run(serve(options.household, options.events, not options.no_ssdp, options.ssdp_any, tuple(options.ssdp_from)))
    except HouseholdError as exc:
        print(f"sonos_sim: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"sonos_sim: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
