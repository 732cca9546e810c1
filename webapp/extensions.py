"""Flask extensions, created unbound and bound in ``create_app``; and the Huey instance.

The Huey instance exists at import (``@huey.task`` needs it) and is built from ``config.py``;
``create_app`` rebinds its storage when the app's settings name another one.
"""

import weakref

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from flask_wtf import CSRFProtect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from config import settings
from webapp.database import READ_ONLY, loads_json
from webapp.queue import make_huey


class Base(DeclarativeBase):
    pass


class ReadOnlyAware(Session):
    """``db.session``: once marked with ``read_only_session``, it reaches its engine through
    that engine with ``READ_ONLY`` set (one such engine per engine, sharing its pool, so the
    session still holds one connection)."""

    _read_only_engines: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get_bind(self, *args, **kwargs):
        bind = super().get_bind(*args, **kwargs)
        if not self.info.get("read_only") or not isinstance(bind, Engine):
            return bind
        engines = ReadOnlyAware._read_only_engines
        if bind not in engines:
            engines[bind] = bind.execution_options(**READ_ONLY)
        return engines[bind]


#: Every engine decodes JSON with ``loads_json`` (the activity values true and false, read
#: with every feed row, are looked up rather than parsed).
db = SQLAlchemy(
    model_class=Base,
    engine_options={"json_deserializer": loads_json},
    session_options={"class_": ReadOnlyAware},
)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
#: Rate limits (login failures); storage from RATELIMIT_STORAGE_URI (Redis when REDIS_URL is set).
limiter = Limiter(key_func=get_remote_address)
socketio = SocketIO()
huey = make_huey(settings())
