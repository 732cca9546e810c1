"""`flask beacon ...`: run the web process (with an embedded consumer) and housekeeping."""

from __future__ import annotations

import gc
import logging
import os

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.extensions import huey, socketio
from webapp.queue import install_stop_handler, start_embedded_consumer

beacon_cli = AppGroup("beacon", help="Run Beacon.")


def settle_heap() -> None:
    """Once a server has started, before it serves: take what it has built so far (modules,
    the app, its tables and routes, well over 100,000 objects that live as long as the
    process) out of the garbage collector's view. Every full collection traversed all of them,
    a pause of tens of milliseconds in whichever request allocated at the wrong moment; it now
    traverses only what was made since."""
    gc.collect()
    gc.freeze()


@beacon_cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-consumer", is_flag=True, help="Do not start the embedded Huey consumer.")
def run_command(host: str, port: int, no_consumer: bool) -> None:
    """Start the Socket.IO web server, the fan-out and (unless --no-consumer) a Huey consumer."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = current_app._get_current_object()
    consumer = None
    if not no_consumer:
        consumer = start_embedded_consumer(
            huey, app.config["BEACON_CONSUMER_WORKERS"], app.config["BEACON_CONSUMER_PERIODIC"]
        )

    def stop() -> None:
        if consumer is not None:
            consumer.stop(graceful=True)

    install_stop_handler(stop)
    for starter in app.extensions.get("beacon.web_starters", []):
        starter(app)
    click.echo(f"Beacon on http://{host}:{port}/ (consumer: {'off' if no_consumer else 'on'})")
    settle_heap()
    # Flask refuses app.run() under its own CLI unless told this is deliberate.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    try:
        socketio.run(
            app, host=host, port=port, debug=False, use_reloader=False, allow_unsafe_werkzeug=True
        )
    finally:
        stop()


DEMO_USERS = (
    ("admin@beacon.test", "beacon-admin", "admin"),
    ("alice@beacon.test", "beacon-alice", "subscriber"),
    ("bob@beacon.test", "beacon-bob", "subscriber"),
)


@beacon_cli.command("seed")
def seed_command() -> None:
    """Create the demo users (and whatever the demo registers) if missing; print logins."""
    from webapp.accounts.service import create_user, get_user_by_email

    for email, password, role in DEMO_USERS:
        if get_user_by_email(email) is None:
            create_user(email, password, role=role)
    for seeder in current_app.extensions.get("beacon.seeders", []):
        seeder()
    click.echo("Demo logins (http://127.0.0.1:5000/login):")
    for email, password, role in DEMO_USERS:
        click.echo(f"  {role:<10} {email}  password: {password}")
