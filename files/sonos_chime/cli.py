"""The command line of chime.py (docs/architecture.md, section 2).

    chime.py play [--zone NAME]... [--config PATH] [--at MOMENT] [--dry-run] [-v] [--] CHIME
    chime.py play-uri URL --host ADDRESS [--host ADDRESS]... [--volume N] [--at MOMENT]
    chime.py recover [--config PATH] [--wait S] [--every S]
    chime.py discover [--timeout S] [--interface ADDRESS] [--scan CIDR]
    chime.py history [--last N] [--chime NAME] [--json]
    chime.py page [--config PATH] [--output PATH] [--moments N] [--runs N]

Exit codes: 0 every zone chimed and was restored (itself, or with the group another zone of
the run played for), or was skipped on purpose; 1 some zone
failed (reported after every other zone was done); 2 usage or configuration error.
`recover`: 0 when no group is left to put back, 1 when a player has not answered by the end
of --wait (its snapshot is kept: the next chime or recovery puts it back).
`history`: 0, or 1 when journalctl cannot be started (what it says on stderr is passed on).
`page`: 0, or 1 when the page cannot be written.
Logs go to stderr, one line per zone and step (the systemd journal keeps them).

The chime's service passes its name after `--`: whatever the name (`-h`, `--zone x`, `--`),
it is taken as the chime's name, never as an option.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .calendarstore import CalendarStore, calendar_verdict
from .config import (
    DEFAULT_CONFIG,
    DEFAULT_MARGIN,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_RUNTIME_DIR,
    DEFAULT_STATE_DIR,
    INTERRUPT_MODE,
    MODES,
    ChimeConfig,
    Config,
    ConfigError,
    chime_mode,
    http_url,
    ipv4,
    load_config,
    overlay_sound,
)
from .discover import discover
from .historytable import show_history
from .job import ChimeJob, RunSettings, ZoneTarget
from .journal import JournalRead, read_journal, read_recent_journal
from .moment import Moment, MomentError, host_now, parse_moment
from .quiet import QuietHours
from .recover import Recovery, recover_until_done
from .run import run_job
from .schedule import scheduled_start
from .sources import DEFAULT_POLICY
from .statuspage import DEFAULT_PAGE, make_page, settled_reader
from .zonelog import LOG, quote, setup_logging

# systemd's results (MONITOR_SERVICE_RESULT) of a run that ended by itself, having written its closing line.
RAN_TO_ITS_END = ("success", "exit-code")
NEXT = "next"  # --at next: the chime's next scheduled moment, if its timer started the run early


class UsageError(Exception):
    pass


def play_command(args: argparse.Namespace, started: float) -> int:
    config = load_config(Path(args.config))
    chime = config.chime(args.chime)
    if chime is None:
        known = ", ".join(quote(c.name) for c in config.chimes)
        raise ConfigError(f"CHIME: no chime named {quote(args.chime)} in {args.config} (known: {known})")
    for name in args.zone or []:
        if name not in chime.zones:
            zones = ", ".join(quote(zone) for zone in chime.zones)
            raise ConfigError(f"--zone: {quote(name)} is not a zone of chime {quote(chime.name)} (its zones: {zones})")
    job = chime_job(config, chime, args.zone or chime.zones)
    if args.at == NEXT:
        start = scheduled_start(chime.name, chime.schedule, config.settings.lead, config.settings.too_late)
        if not start.plays:
            return 0  # on purpose, and the journal says why
        moment = Moment.of(start.moment) if start.moment is not None else None
    else:
        moment = moment_of(args.at)
    day_off = day_off_reason(chime, moment, CalendarStore(config.settings.calendar_cache))
    if day_off is not None:
        LOG.info("chime=%s skipped: %s: no speaker touched", quote(chime.name), day_off)
        return 0
    settings = RunSettings(
        request_timeout=config.settings.request_timeout,
        margin=config.settings.margin,
        runtime_dir=config.settings.runtime_dir,
        dry_run=args.dry_run,
        moment=moment,
        state_dir=config.settings.state_dir,
    )
    return run_job(job, job.zones, settings, started)


def day_off_reason(chime: ChimeConfig, moment: Moment | None, calendars: CalendarStore) -> str | None:
    """Why the chime's moment (else now, on the host's clock) is one it does not play at: a day
    off by its dates or holidays, or an event of its calendar. A holiday calendar that cannot be
    read is said, and the chime plays: better a chime on a holiday than none on a working day."""
    when = moment.wall if moment is not None else host_now()
    try:
        reason = chime.days_off.reason(when.date())
    except Exception as error:  # noqa: BLE001 - whatever a broken holidays install raises, the chime plays
        LOG.warning("chime=%s: cannot tell whether %s is a holiday (%s): it plays", quote(chime.name), when.date(), error)
        reason = None
    if reason is not None or chime.skip_calendar is None:
        return reason
    verdict = calendar_verdict(chime.skip_calendar, when, calendars)
    if verdict.note is not None:
        LOG.warning("chime=%s: skip_calendar %s %s", quote(chime.name), quote(chime.skip_calendar.location), verdict.note)
    return None if verdict.event is None else f"an event of its calendar: {quote(verdict.event)}"


def chime_job(config: Config, chime: ChimeConfig, names: Collection[str]) -> ChimeJob:
    """The chime as this run plays it: the zones named, in the chime's order. A zone left
    out of the run (`--zone`) must not stand in for a group it shares with one in it."""
    zones = tuple(config.zone(name) for name in chime.zones if name in names)
    return ChimeJob(
        name=chime.name,
        url=chime.url,
        volume=chime.volume,
        room_volumes={config.zone(name).uid: volume for name, volume in chime.zone_volumes.items()},
        policy=chime.sources,
        mode=chime.mode,
        fade=chime.fade,
        zones=tuple(ZoneTarget(zone.name, zone.uid, zone.host) for zone in zones),
        known_hosts=tuple(dict.fromkeys(zone.host for zone in config.zones)),
        quiet_rooms={} if chime.ignore_quiet_hours else {
            zone.uid: QuietHours(zone.name, zone.quiet_hours) for zone in config.zones if zone.quiet_hours},
    )


def play_uri_command(args: argparse.Namespace, started: float) -> int:
    url = http_url(args.url, "URL")
    for host in args.host:
        ipv4(host, "--host")
    if args.volume is not None and not 0 <= args.volume <= 100:
        raise ConfigError(f"--volume: {args.volume} is not within 0-100")
    mode = chime_mode(args.mode, "--mode")
    overlay_sound(urlparse(url).path, mode, "URL")
    hosts = tuple(dict.fromkeys(args.host))
    targets = tuple(ZoneTarget(host, None, host) for host in hosts)
    job = ChimeJob(
        name="sonos-chime",
        url=url,
        volume=args.volume,
        room_volumes={},
        policy=DEFAULT_POLICY,
        zones=targets,
        known_hosts=hosts,
        mode=mode,
    )
    settings = RunSettings(
        request_timeout=args.request_timeout,
        margin=args.margin,
        runtime_dir=Path(args.runtime_dir) if args.runtime_dir else default_runtime_dir(),
        dry_run=args.dry_run,
        moment=moment_of(args.at),
        state_dir=Path(args.state_dir) if args.state_dir else installed_or_temporary(DEFAULT_STATE_DIR, "sonos-chime-state"),
    )
    return run_job(job, targets, settings, started)


def moment_of(text: str | None) -> Moment | None:
    if text is None:
        return None
    if text == NEXT:
        raise UsageError(f"--at {NEXT}: only `play` knows a chime's schedule")
    try:
        return Moment.of(parse_moment(text, host_now()))
    except MomentError as error:
        raise UsageError(f"--at: {error}") from None


def default_runtime_dir() -> Path:
    return writable_or_temporary(DEFAULT_RUNTIME_DIR, "sonos-chime")


def writable_or_temporary(folder: Path, temporary_name: str) -> Path:
    """The system's folder when this user may write there (root, or the service's user), else
    one in the temporary folder: chime.py by hand as any user."""
    if os.access(folder, os.W_OK) or os.access(folder.parent, os.W_OK):
        return folder
    return Path(tempfile.gettempdir()) / temporary_name


def installed_or_temporary(folder: Path, temporary_name: str) -> Path:
    """The folder the role's units made, when it is there and this user may write it; else one
    in the temporary folder (chime.py by hand never makes a system folder of its own)."""
    if folder.is_dir() and os.access(folder, os.W_OK):
        return folder
    return Path(tempfile.gettempdir()) / temporary_name


def recover_command(args: argparse.Namespace, _started: float) -> int:
    """Put back what chimes that did not finish left behind; 0 when nothing is left."""
    config = load_config(Path(args.config))
    settings = RunSettings(
        request_timeout=config.settings.request_timeout,
        margin=config.settings.margin,
        runtime_dir=config.settings.runtime_dir,
        dry_run=False,
        state_dir=config.settings.state_dir,
    )
    recovery = Recovery.of(settings)
    assert recovery is not None
    return 0 if recover_until_done(recovery, args.wait, args.every) else 1


def discover_command(args: argparse.Namespace) -> int:
    return discover(args.timeout, args.interface, args.scan)


def history_command(args: argparse.Namespace, _started: float) -> int:
    return show_history(args.last, args.chime, args.json, read_journal, sys.stdout)


def page_command(args: argparse.Namespace, _started: float) -> int:
    config = load_config(Path(args.config))
    reader: Callable[[int], JournalRead] = read_recent_journal
    # systemd sets these for a unit a chime's service started by OnSuccess=/OnFailure= (the role's
    # page unit): the page after a run that ended by itself, well or with a zone failed (exit-code:
    # its summary written), waits for the run's lines; not after one ended from outside (killed).
    invocation = os.environ.get("MONITOR_INVOCATION_ID")
    if invocation and os.environ.get("MONITOR_SERVICE_RESULT") in RAN_TO_ITS_END:
        reader = settled_reader(reader, invocation)
    return make_page(config, Path(args.output), args.moments, args.runs, reader)


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit 2 itself; keep one exit path
        raise UsageError(f"{self.prog}: {message}")


def positive_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return int(text)


def non_negative_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="chime.py", description="Play a short chime on Sonos zones, then put everything back.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)

    play = commands.add_parser("play", help="play a chime from the config on its zones")
    play.add_argument("chime", metavar="CHIME", help="name of a chime in the config (after --, any name is taken as given)")
    play.add_argument("--zone", action="append", metavar="NAME", help="only this zone of the chime (repeatable; default: all)")
    play.add_argument("--config", default=str(DEFAULT_CONFIG), metavar="PATH", help="default: %(default)s")
    add_common_options(play)

    play_uri = commands.add_parser("play-uri", help="play a sound URL on the given players, no config needed")
    play_uri.add_argument("url", metavar="URL", help="http(s) URL the speakers can fetch")
    play_uri.add_argument("--host", action="append", required=True, metavar="ADDRESS", help="a player's IPv4 address")
    play_uri.add_argument("--volume", type=int, metavar="N", help="chime volume 0-100 (default: leave volumes)")
    play_uri.add_argument("--mode", default=INTERRUPT_MODE, metavar="MODE", help=f"{' | '.join(MODES)} (default: %(default)s)")
    play_uri.add_argument("--request-timeout", type=positive_float, default=DEFAULT_REQUEST_TIMEOUT, metavar="S")
    play_uri.add_argument("--margin", type=positive_float, default=DEFAULT_MARGIN, metavar="S")
    play_uri.add_argument("--runtime-dir", metavar="PATH", help=f"lock files (default: {DEFAULT_RUNTIME_DIR})")
    play_uri.add_argument("--state-dir", metavar="PATH", help=f"snapshots until put back (default: {DEFAULT_STATE_DIR})")
    add_common_options(play_uri)

    recover = commands.add_parser("recover", help="put back the groups chimes that did not finish left behind")
    recover.add_argument("--config", default=str(DEFAULT_CONFIG), metavar="PATH", help="default: %(default)s")
    recover.add_argument("--wait", type=non_negative_float, default=0.0, metavar="S",
                         help="try again a player that does not answer, for up to S seconds (default: once)")
    recover.add_argument("--every", type=positive_float, default=30.0, metavar="S", help="between tries (default: %(default)s)")
    recover.add_argument("-v", "--verbose", action="store_true", help="log more")

    discover = commands.add_parser("discover", help="list the zones that answer, as YAML")
    discover.add_argument("--timeout", type=positive_float, default=5.0, metavar="S", help="default: %(default)s")
    discover.add_argument("--interface", metavar="ADDRESS", help="search from this local IPv4 address")
    discover.add_argument("--scan", metavar="CIDR", help="scan this network on TCP 1400 instead of multicast")
    discover.add_argument("-v", "--verbose", action="store_true", help="log more")

    history = commands.add_parser("history", help="the last runs of the chime services, from the journal")
    history.add_argument("--last", type=positive_int, default=20, metavar="N", help="runs to show (default: %(default)s)")
    history.add_argument("--chime", metavar="NAME", help="only this chime's runs")
    history.add_argument("--json", action="store_true", help="JSON for machines instead of the table")
    history.add_argument("-v", "--verbose", action="store_true", help="log more")

    page = commands.add_parser("page", help="write the status page: next moments, last runs, a 7-day timeline")
    page.add_argument("--config", default=str(DEFAULT_CONFIG), metavar="PATH", help="default: %(default)s")
    page.add_argument("--output", default=str(DEFAULT_PAGE), metavar="PATH", help="the HTML file (default: %(default)s)")
    page.add_argument("--moments", type=positive_int, default=5, metavar="N", help="next moments per chime (default: %(default)s)")
    page.add_argument("--runs", type=positive_int, default=60, metavar="N",
                      help="runs read from the journal, of the last 8 days (default: %(default)s)")
    page.add_argument("-v", "--verbose", action="store_true", help="log more")
    return parser


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--at",
        metavar="MOMENT",
        help="send Play at this moment: HH:MM[:SS[.fff]] on the host's clock (the nearest one: "
        "00:00 at 23:59 is the coming midnight), an ISO 8601 date and time, @SECONDS "
        "since the epoch, or `next` (play only): the chime's next scheduled moment when its timer started "
        "this run early, else at once; everything that changes nothing is done before it (default: at once)",
    )
    parser.add_argument("--dry-run", action="store_true", help="decide and log, change nothing")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")


COMMANDS = {"play": play_command, "play-uri": play_uri_command, "recover": recover_command, "history": history_command,
            "page": page_command}


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()
    setup_logging(verbose=False)
    try:
        args = build_parser().parse_args(list(argv) if argv is not None else None)
        # -v as the parser read it: a chime named "-v" (after `--`) is a name, not the option.
        setup_logging(args.verbose)
        if args.command == "discover":
            return discover_command(args)
        return COMMANDS[args.command](args, started)
    except (UsageError, ConfigError) as error:
        LOG.error("%s", error)
        return 2
    except Exception:  # noqa: BLE001 - its traceback goes to the journal escaped, like every other line
        LOG.exception("unexpected error")
        return 1
