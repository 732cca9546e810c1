"""`flask events new HelloWorld` scaffolds an event class in tasks/events/;
`flask events poll --queues high` runs a poller for some priorities."""

from __future__ import annotations

import logging
import os
import re
import signal
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from config import ROOT
from webapp.events.base import event_name_for, registered_events
from webapp.events.poller import Poller

events_cli = AppGroup("events", help="Manage Beacon events.")

CLASS_NAME_RE = re.compile(r"[A-Z][A-Za-z0-9]{0,94}")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

TEMPLATE = '''"""{name}: ``queue_event("{name}", ...)`` runs {cls}.process in a consumer."""

from __future__ import annotations

import logging

from tasks.events.application_event import ApplicationEvent

log = logging.getLogger(__name__)


class {cls}(ApplicationEvent):
    """Say what {name} does. ``self.params`` holds what was queued, ``self.account`` its owner."""

    def process(self) -> None:
        log.info("processing %s with %s", self.name, self.params)
'''


def scaffold_event(class_name: str, directory: Path) -> Path:
    """Write ``<directory>/<event_name>.py`` with a working event class; ValueError if it
    exists, the name is taken, or the class name is not CamelCase."""
    if class_name.endswith("Event"):
        class_name = class_name[: -len("Event")]
    if not CLASS_NAME_RE.fullmatch(class_name):
        raise ValueError(f"invalid event class name {class_name!r}: use CamelCase, e.g. HelloWorld")
    name = event_name_for(class_name)
    path = directory / f"{name}.py"
    if path.exists():
        raise ValueError(f"{path} already exists; not overwriting it")
    existing = registered_events().get(name)
    if existing is not None:
        raise ValueError(f"event {name!r} is already defined by {existing.__module__}")
    directory.mkdir(parents=True, exist_ok=True)
    with path.open("x") as out:  # "x": never overwrite, even if it appeared just now
        out.write(TEMPLATE.format(name=name, cls=f"{class_name}Event"))
    return path


@events_cli.command("new")
@click.argument("class_name")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=ROOT / "tasks" / "events",
    show_default=True,
    help="Package directory of the application's events.",
)
def new_command(class_name: str, directory: Path) -> None:
    """Scaffold the event CLASS_NAME (e.g. HelloWorld -> tasks/events/hello_world.py)."""
    try:
        path = scaffold_event(class_name, directory)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {path}")


@events_cli.command("poll")
@click.option(
    "--queues",
    default="high,medium,low",
    show_default=True,
    help="Priorities this poller takes, comma-separated (highest is always taken first).",
)
@click.option("--interval", default=0.5, show_default=True, help="Seconds between idle polls.")
@click.option("--until-idle", is_flag=True, help="Exit when no event of these priorities waits.")
def poll_command(queues: str, interval: float, until_idle: bool) -> None:
    """Process events of some priorities from the database; SIGTERM/SIGINT stop it gracefully."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        poller = Poller(queues, interval)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None

    def request_stop(signum: int, frame: Any) -> None:
        poller.stop()
        # os.write, not logging: a handler may interrupt code that holds the logging lock.
        os.write(2, b"stop requested: finishing the current event\n")

    previous = {s: signal.signal(s, request_stop) for s in STOP_SIGNALS}
    click.echo(f"polling {','.join(poller.priorities)} (pid {os.getpid()})")
    try:
        count = poller.run(until_idle=until_idle)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo(f"stopped after {count} events")
