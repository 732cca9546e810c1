"""Limits on failed logins (Flask-Limiter), counted three ways so that guessing stops without
locking anyone out from everywhere:

* one account from one address (``BEACON_LOGIN_LIMIT``): a guesser on one address is
  stopped after a few tries, while the account's owner logs in from anywhere else;
* one account from every address together (``BEACON_LOGIN_ACCOUNT_LIMIT``): many addresses
  guessing one password are stopped too, at a count no single address can reach;
* one address over every account (``BEACON_LOGIN_ADDRESS_LIMIT``): one address trying many
  accounts (password spraying) is stopped, far above what people sharing an address mistype.

Only failures count (a wrong password answers 401); a limited request is refused (429) before
its password is checked. The counts live in Redis when ``REDIS_URL`` is set, shared by every
web process, else in memory; if Redis stops answering, each process counts in memory until
it is back. Behind a proxy, set ``BEACON_TRUSTED_PROXIES`` so the address is the client's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address

from webapp.accounts.service import normalize_email
from webapp.extensions import limiter

__all__ = ["login_limits"]


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _account() -> str:
    return normalize_email(request.form.get("email", ""))[:255] or "-"


def _key(*parts: str) -> str:
    return ":".join((current_app.config["BEACON_REDIS_PREFIX"] + "login", *parts))


def _limit(setting: str, key: Callable[[], str]) -> Any:
    return limiter.limit(
        lambda: current_app.config[setting],
        key_func=key,
        methods=["POST"],
        deduct_when=_failed,
        error_message="Too many failed logins. Try again in a few minutes.",
    )


_LIMITS = (
    _limit("BEACON_LOGIN_LIMIT", lambda: _key("account-address", _account(), get_remote_address())),
    _limit("BEACON_LOGIN_ACCOUNT_LIMIT", lambda: _key("account", _account())),
    _limit("BEACON_LOGIN_ADDRESS_LIMIT", lambda: _key("address", get_remote_address())),
)


def login_limits(view: Callable) -> Callable:
    """Apply every failed-login limit to the login view."""
    for limit in _LIMITS:
        view = limit(view)
    return view
