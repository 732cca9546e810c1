"""Flask extensions, created unbound and bound in ``create_app``; and the Huey instance.

The Huey instance exists at import (``@huey.task`` needs it) and is built from ``config.py``;
``create_app`` rebinds its storage when the app's settings name another one.
"""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from config import settings
from webapp.database import loads_json
from webapp.queue import make_huey


class Base(DeclarativeBase):
    pass


#: Every engine decodes JSON with ``loads_json`` (the activity values true and false, read
#: with every feed row, are looked up rather than parsed).
db = SQLAlchemy(model_class=Base, engine_options={"json_deserializer": loads_json})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
#: Rate limits (login failures); storage from RATELIMIT_STORAGE_URI (Redis when REDIS_URL is set).
limiter = Limiter(key_func=get_remote_address)
socketio = SocketIO()
huey = make_huey(settings())
