"""Starting and stopping a web process, the same way under either server.

``flask beacon run`` (the embedded default, Werkzeug with an embedded consumer) and gunicorn
(production: ``deploy/gunicorn.conf.py``) both call ``start_web`` once the app is built, and
``hand_off_sockets`` when told to stop.
"""

from __future__ import annotations

import gc
import logging

from flask import Flask

log = logging.getLogger(__name__)


def settle_heap() -> None:
    """Once a server has started, before it serves: take what it has built so far (modules,
    the app, its tables and routes, well over 100,000 objects that live as long as the
    process) out of the garbage collector's view. Every full collection traversed all of them,
    a pause of tens of milliseconds in whichever request allocated at the wrong moment; it now
    traverses only what was made since."""
    gc.collect()
    gc.freeze()


def start_web(app: Flask) -> None:
    """Run the web starters the domains registered (the notification fan-out), then settle
    the heap."""
    for starter in app.extensions.get("beacon.web_starters", []):
        starter(app)
    settle_heap()


def hand_off_sockets(app: Flask) -> int:
    """Close every Engine.IO connection of this process, so that its clients reconnect, to
    another web process once this one has stopped accepting. A Socket.IO "disconnect" would
    tell them to stay away; closing the transport is what a dying process looks like, and
    their resume from the last id they saw makes sure nothing is lost or sent twice.
    Returns how many were closed."""
    from webapp.extensions import socketio

    server = socketio.server
    count = len(server.eio.sockets)
    server.eio.disconnect()
    log.info("handed off %d sockets", count)
    return count
