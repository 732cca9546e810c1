"""The application factory. ``create_app`` reads like a table of contents: configuration,
extensions, blueprints, error handlers, commands, socket namespaces. It writes nothing and
starts nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from config import ROOT, get_config


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a Beacon app; ``config`` overrides settings of the class chosen by BEACON_ENV."""
    app = Flask(
        "webapp",
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, config or {})
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_socket_namespaces(app)
    register_middleware(app)
    return app


def load_config(app: Flask, overrides: Mapping[str, Any]) -> None:
    app.config.from_object(get_config(overrides.get("BEACON_ENV")))
    app.config.update(overrides)
    app.config.setdefault("BEACON_SOCKETIO_QUEUE", app.config.get("REDIS_URL"))
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY is not set: export SECRET_KEY (make run creates instance/secret_key)"
        )


def register_extensions(app: Flask) -> None:
    from webapp import models  # noqa: F401  (every table, for migrations and create_all)
    from webapp.database import configure_engine
    from webapp.extensions import csrf, db, huey, limiter, migrate, socketio
    from webapp.inputs import BoundedJSONProvider, SocketPacket
    from webapp.logs import init_logging
    from webapp.notifications.fanout import NAMESPACE
    from webapp.queue import init_queue
    from webapp.security import init_security

    app.json = BoundedJSONProvider(app)
    init_logging(app)
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    init_security(app)
    init_queue(app, huey)
    # Flask-SocketIO keeps a message-queue manager from an earlier init_app in this process;
    # each app gets the one its own settings name.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=app.config["BEACON_SOCKETIO_QUEUE"],
        channel=socketio_channel(app),
        namespaces=[NAMESPACE],  # never the default "/", which would admit anyone
        serializer=SocketPacket,
        logger=False,
        engineio_logger=False,
    )


def socketio_channel(app: Flask) -> str:
    """The Socket.IO message queue's channel of this deployment: another process emits to
    this app's clients by publishing there (e.g. ``socketio.RedisManager(url,
    channel=socketio_channel(app), write_only=True)``)."""
    return f"beacon-socketio-{app.config['BEACON_HUEY_NAME']}"


def register_blueprints(app: Flask) -> None:
    from webapp import accounts, admin, api, demo, home, metrics, notifications, probes
    from webapp.inputs import IdConverter
    from webapp.ui import add_nav, init_ui

    app.url_map.converters["int"] = IdConverter  # every <int:...> is a bounded id
    init_ui(app)
    app.register_blueprint(probes.bp)
    metrics.init_app(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(accounts.bp)
    add_nav(app, "home.index", "Overview")
    notifications.init_ui(app)
    if app.config["BEACON_DEMO"]:
        demo.init_app(app)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(admin.bp, url_prefix="/admin")
    add_nav(app, "admin.index", "Admin", admin=True)


def register_errorhandlers(app: Flask) -> None:
    from webapp.errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from webapp.accounts.cli import users_cli
    from webapp.cli import beacon_cli
    from webapp.events.cli import events_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(beacon_cli)
    app.cli.add_command(events_cli)


def register_socket_namespaces(app: Flask) -> None:
    """Socket.IO namespaces are registered by their domains (notifications, admin)."""
    from webapp.admin.live import init_live
    from webapp.notifications import init_socket

    init_socket(app)
    init_live(app)


def register_middleware(app: Flask) -> None:
    """Security headers on every response (Socket.IO's too); ProxyFix behind proxies."""
    from webapp.security import wrap_wsgi

    wrap_wsgi(app)
