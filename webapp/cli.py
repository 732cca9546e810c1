"""`flask beacon ...`: run the web process (with an embedded consumer) and housekeeping."""

from __future__ import annotations

import logging
import os

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.database import this_app, write_session
from webapp.extensions import db, huey, socketio
from webapp.queue import install_stop_handler, start_embedded_consumer
from webapp.serving import start_web

beacon_cli = AppGroup("beacon", help="Run Beacon.")


@beacon_cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-consumer", is_flag=True, help="Do not start the embedded Huey consumer.")
def run_command(host: str, port: int, no_consumer: bool) -> None:
    """Start the Socket.IO web server, the fan-out and (unless --no-consumer) a Huey consumer
    on Werkzeug: the embedded default. Production serves through gunicorn (the Procfile)."""
    app = this_app()
    if app.config["ENV_NAME"] == "production":
        raise click.ClickException(
            "BEACON_ENV=production serves through gunicorn, not the development server: "
            "gunicorn --config deploy/gunicorn.conf.py (the Procfile's web: line)"
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    consumer = None
    if not no_consumer:
        consumer = start_embedded_consumer(
            huey, app.config["BEACON_CONSUMER_WORKERS"], app.config["BEACON_CONSUMER_PERIODIC"]
        )

    def stop() -> None:
        if consumer is not None:
            consumer.stop(graceful=True)

    install_stop_handler(stop)
    start_web(app)
    click.echo(f"Beacon on http://{host}:{port}/ (consumer: {'off' if no_consumer else 'on'})")
    # Flask refuses app.run() under its own CLI unless told this is deliberate.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    try:
        socketio.run(
            app, host=host, port=port, debug=False, use_reloader=False, allow_unsafe_werkzeug=True
        )
    finally:
        stop()


@beacon_cli.command("seed")
def seed_command() -> None:
    """Create the demo users (and whatever the demo registers) if missing; print logins."""
    from webapp.accounts.service import create_user, get_user_by_email

    if not current_app.config["BEACON_DEMO"]:
        click.echo("The demo is off (BEACON_DEMO=0): nothing to seed.")
        return
    from webapp.demo.seed import DEMO_USERS, seed_demo  # only with the demo on: its tasks

    write_session(db.session)  # it reads, then writes, while consumers may be writing
    for email, password, role in DEMO_USERS:
        if get_user_by_email(email) is None:
            create_user(email, password, role=role)
    seed_demo()
    click.echo("Demo logins (http://127.0.0.1:5000/login):")
    for email, password, role in DEMO_USERS:
        click.echo(f"  {role:<10} {email}  password: {password}")
