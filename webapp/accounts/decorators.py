"""Access decorators for views: logged-in users, and admins only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

__all__ = ["admin_required", "login_required"]


def admin_required(view: Callable) -> Callable:
    """Anonymous users go to the login page; logged-in non-admins get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403, description="admins only")
        return view(*args, **kwargs)

    return wrapped
