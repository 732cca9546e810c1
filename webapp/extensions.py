"""Flask extensions, created unbound and bound in ``create_app``; and the Huey instance.

``db`` is defined in ``webapp.database`` with its session and engine settings (the Huey
instance's periodic claims need it, and this module builds the Huey instance).

The Huey instance exists at import (``@huey.task`` needs it) and is built from ``config.py``;
``create_app`` rebinds its storage when the app's settings name another one.
"""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_wtf import CSRFProtect

from config import settings
from webapp.database import Base, db
from webapp.queue import make_huey

__all__ = ["Base", "csrf", "db", "huey", "limiter", "login_manager", "migrate", "socketio"]

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
#: Rate limits (login failures); storage from RATELIMIT_STORAGE_URI (Redis when REDIS_URL is set).
limiter = Limiter(key_func=get_remote_address)
socketio = SocketIO()
huey = make_huey(settings())
