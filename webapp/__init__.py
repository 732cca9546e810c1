"""Beacon: a job tracker and notification center for Flask apps on Huey.

``create_app`` (``webapp.factory``) builds the web app; the domains live in the packages
beside it (activity, jobs, operations, events, notifications) and the web layer above them.
"""

from webapp.factory import create_app, socketio_channel

__all__ = ["create_app", "socketio_channel"]
