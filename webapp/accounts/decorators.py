"""Access decorators for views: logged-in users, admins only, and the admin area (admins;
viewers read-only)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, request
from flask_login import current_user, login_required

__all__ = ["admin_area_required", "admin_required", "login_required"]

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def admin_required(view: Callable) -> Callable:
    """Anonymous users go to the login page; logged-in non-admins get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403, description="admins only")
        return view(*args, **kwargs)

    return wrapped


def admin_area_required(view: Callable) -> Callable:
    """Anonymous users go to the login page; admins may do anything, viewers only read
    (any other method: 403); everyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.sees_admin:
            abort(403, description="admins only")
        if request.method not in READS and not current_user.is_admin:
            abort(403, description="viewers read the admin area; only admins change things")
        return view(*args, **kwargs)

    return wrapped
