"""Probes for load balancers and orchestrators: ``/healthz`` (this process serves) and
``/readyz`` (it can do its work: the database and Redis answer, migrations are at head).
Neither needs a login, and neither says more than what is wrong."""

from flask import Blueprint

bp = Blueprint("probes", __name__)

from webapp.probes import routes  # noqa: E402,F401
