"""The WSGI app of a production web process: ``gunicorn --config deploy/gunicorn.conf.py``
imports ``webapp.wsgi:app`` in its worker. Settings come from the environment (BEACON_ENV,
SECRET_KEY, DATABASE_URL, REDIS_URL, ...), as for every Beacon process."""

from webapp.factory import create_app

app = create_app()
