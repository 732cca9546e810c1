"""A small world for the URL-map sweeps: a real target for every URL argument, each in a state
a write would change (a failed operation and action, a failed event, an expired account, a
finished export, a user with sessions), and a snapshot of everything a request could change.

The URL map is read at collection, so a route added later is swept without editing a test;
a new URL argument needs its target added to ``World.arguments`` (the sweep says so).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Any

from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import inspect, text
from werkzeug.routing import Rule

from tests.conftest import Person, csrf_token, login
from webapp import create_app
from webapp.extensions import db, huey


def rules() -> list[Rule]:
    """Every rule of the app, sorted by its text (for stable test ids)."""
    tmp = tempfile.mkdtemp(prefix="beacon-security-sweep-")
    app = create_app(
        {
            "BEACON_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(tmp, 'rules.db')}",
            "BEACON_HUEY_FILE": os.path.join(tmp, "huey.db"),
        }
    )
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


@dataclass
class World:
    app: Flask
    admin: Person
    subscriber: Person
    #: A real value for every URL argument, by name.
    arguments: dict[str, Any]

    def url(self, rule: Rule) -> str:
        missing = sorted(rule.arguments - self.arguments.keys())
        assert not missing, f"add a target for {missing} to tests/security/world.py ({rule})"
        with self.app.test_request_context():
            return url_for(rule.endpoint, **{n: self.arguments[n] for n in rule.arguments})

    def client(self, person: Person | None) -> FlaskClient:
        """A client logged in as ``person`` (anonymous for None), sending its own valid CSRF
        token in X-CSRFToken."""
        client = self.app.test_client()
        if person is None:
            client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(client)
            return client
        return login(client, person)

    def snapshot(self) -> dict[str, Any]:
        """Every row of every table, and the queue: what no refused request may change."""
        with self.app.app_context():
            state: dict[str, Any] = {"queued": huey.pending_count()}
            for table in sorted(inspect(db.engine).get_table_names()):
                rows = db.session.execute(text(f'SELECT * FROM "{table}"')).all()
                state[table] = sorted(map(repr, rows))
            db.session.rollback()
            return state
