"""What every request shares: who is asking (login sessions), that reading changes nothing,
and the protective headers on every response.

* Logins are sessions of ``webapp.accounts.sessions``: the cookie names a session row, so a
  session can be ended and every copy of its cookie stops working.
* GET, HEAD and OPTIONS only read: their requests' database transactions are read-only, so a
  view that wrote on them would fail in the database, never quietly write. (CSRF protection
  skips these methods; this is what makes skipping them safe.) Writes are POST views of their
  own, never a branch on ``request.method``.
* ``SecurityHeaders`` wraps the whole WSGI app, Socket.IO's endpoint included (it answers
  outside Flask): CSP, nosniff, no framing, and ``Cache-Control: no-store`` on everything but
  static files (pages, API answers and exports hold someone's data).
* ``BEACON_TRUSTED_PROXIES``: how many proxies in front of the web processes set
  ``X-Forwarded-For``/``-Proto``/``-Host``/``-Port`` (``ProxyFix``); without it, behind a
  proxy every client has the proxy's address (login limits) and plain http (secure cookies).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.database import read_only_session, write_session
from webapp.errors import error_response, wants_json
from webapp.extensions import db, login_manager

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


def init_security(app: Flask) -> None:
    """Log-ins through sessions, and read-only transactions for the safe methods."""
    from webapp.accounts.sessions import user_for_token

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.user_loader(user_for_token)

    @login_manager.unauthorized_handler
    def unauthorized() -> ResponseReturnValue:
        if wants_json():
            return error_response(401, "login required")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))

    app.before_request(session_mode_of_method)


def session_mode_of_method() -> None:
    """GET, HEAD and OPTIONS: this request's transactions cannot write. Any other method:
    they are writing ones (on SQLite, the write lock is taken with the first statement, so
    reading the user and then writing never fails on a writer in between)."""
    if request.method in SAFE_METHODS:
        read_only_session(db.session)
    else:
        write_session(db.session)


def wrap_wsgi(app: Flask) -> None:
    """The middleware around everything this app serves (call once the rest is in place)."""
    wsgi: Any = ChunkedBodyLimit(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])
    wsgi = SecurityHeaders(wsgi, f"{app.static_url_path}/")
    proxies = app.config["BEACON_TRUSTED_PROXIES"]
    if proxies:
        wsgi = ProxyFix(wsgi, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)
    app.wsgi_app = wsgi  # type: ignore[method-assign]  # Flask's documented way to wrap it


class SecurityHeaders:
    """Adds ``HEADERS`` (unless the response set its own) and ``Cache-Control: no-store``
    (except under ``static_prefix``) to every response."""

    def __init__(self, wsgi_app: Callable, static_prefix: str) -> None:
        self.wsgi_app = wsgi_app
        self.static_prefix = static_prefix

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        static = environ.get("PATH_INFO", "").startswith(self.static_prefix)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            headers = [*headers, *((k, v) for k, v in HEADERS if k.lower() not in present)]
            if not static:
                headers = [(k, v) for k, v in headers if k.lower() != "cache-control"]
                headers.append(("Cache-Control", "no-store"))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


class ChunkedBodyLimit:
    """A body sent without ``Content-Length`` (chunked) is read here, up to one byte past
    ``limit``, and handed on with its length: one over the limit is then refused with 413 as
    soon as anything reads it, like a body that declared its length. (Werkzeug would cut it
    at the limit without a word: a form lost its end, a JSON body failed to parse as a 400.)"""

    def __init__(self, wsgi_app: Callable, limit: int | None) -> None:
        self.wsgi_app = wsgi_app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if (
            self.limit is not None
            and environ.get("wsgi.input_terminated")
            and not environ.get("CONTENT_LENGTH")
        ):
            body = environ["wsgi.input"].read(self.limit + 1)
            # From here on it is a body of known length, no longer a chunked stream.
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.wsgi_app(environ, start_response)
