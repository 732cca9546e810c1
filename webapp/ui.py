"""What domains contribute to the shared layout: nav links, page scripts, overview panels.

Each domain registers its own pieces when its blueprint is registered, so the base layout
never needs to know which domains exist.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def _registry(app: Flask) -> dict[str, list]:
    return app.extensions.setdefault("beacon.ui", {"nav": [], "scripts": [], "panels": []})


def add_nav(app: Flask, endpoint: str, label: str, *, admin: bool = False) -> None:
    """A link in the top navigation (admins only when ``admin``)."""
    _registry(app)["nav"].append((endpoint, label, admin))


def add_script(app: Flask, path: str) -> None:
    """A static script loaded on every page for logged-in users (path under static/)."""
    if path not in _registry(app)["scripts"]:
        _registry(app)["scripts"].append(path)


def add_panel(app: Flask, template: str, *, admin: bool = False) -> None:
    """A template included on the overview page."""
    _registry(app)["panels"].append((template, admin))


def init_ui(app: Flask) -> None:
    reg = _registry(app)

    @app.context_processor
    def layout_helpers() -> dict[str, Any]:
        def nav_links(user: Any) -> list[tuple[str, str]]:
            return [(e, label) for e, label, admin in reg["nav"] if not admin or user.sees_admin]

        def home_panels(user: Any) -> list[str]:
            return [t for t, admin in reg["panels"] if not admin or user.sees_admin]

        return {
            "nav_links": nav_links,
            "page_scripts": lambda: reg["scripts"],
            "home_panels": home_panels,
        }
