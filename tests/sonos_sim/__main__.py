"""`python -m sonos_sim serve HOUSEHOLD.yml --events EVENTS.jsonl`: run until SIGTERM.

`python -m sonos_sim check HOUSEHOLD.yml...`: validate household files (exit 2 naming the key).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from .eventlog import EventLog
from .schema import HouseholdError, load_household, require_addresses
from .server import HouseholdRuntime


async def serve(household_path: str, events_path: str | None, ssdp: bool) -> None:
    spec = load_household(household_path)
    require_addresses(spec)
    events = EventLog(events_path, keep=False)
    runtime = HouseholdRuntime(spec, events, ssdp=ssdp)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await runtime.start()
        for player in runtime.household.players.values():
            print(f"{player.name}\t{player.ip}:1400\t{player.uid}", flush=True)
        await stop.wait()
    finally:
        await runtime.stop()
        events.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sonos_sim", description="simulated Sonos household")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run a household until SIGTERM")
    serve_parser.add_argument("household", help="household YAML file")
    serve_parser.add_argument("--events", help="append the event log (JSON lines) to this file")
    serve_parser.add_argument("--no-ssdp", action="store_true", help="do not answer M-SEARCH")
    check_parser = commands.add_parser("check", help="validate household files and exit")
    check_parser.add_argument("households", nargs="+", help="household YAML files")
    options = parser.parse_args(argv)
    try:
        if options.command == "check":
            for path in options.households:
                spec = load_household(path)
                print(f"{path}: {len(spec.players)} players, {len(spec.groups)} groups, {len(spec.faults)} faults")
            return 0
        asyncio.run(serve(options.household, options.events, not options.no_ssdp))
    except HouseholdError as exc:
        print(f"sonos_sim: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"sonos_sim: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
