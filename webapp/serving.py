"""Starting and stopping a web process, the same way under either server.

``flask beacon run`` (the embedded default, Werkzeug with an embedded consumer) and gunicorn
(production: ``deploy/gunicorn.conf.py``) both call ``start_web`` once the app is built, and
``hand_off_sockets`` when told to stop.
"""

from __future__ import annotations

import gc
import logging
import threading

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
    """Start what a web process runs beside its requests (the notification fan-out), then
    settle the heap."""
    from webapp.notifications import start_fanout

    start_fanout(app)
    settle_heap()


def hand_off_sockets(app: Flask) -> int:
    """Close every Engine.IO connection of this process, so that its clients reconnect, to
    another web process once this one has stopped accepting. A Socket.IO "disconnect" would
    tell them to stay away; closing the transport is what a dying process looks like, and
    their resume from the last id they saw makes sure nothing is lost or sent twice.

    Each connection is closed on a thread of its own: closing one waits until its queue has
    been written out, which a slow (or stuck) client can hold up, and that must not keep
    the others here. Returns how many were told."""
    from webapp.extensions import socketio

    engine = socketio.server.eio
    sids = list(engine.sockets)
    for sid in sids:
        threading.Thread(target=engine.disconnect, args=(sid,), daemon=True).start()
    log.info("handing off %d sockets", len(sids))
    return len(sids)
