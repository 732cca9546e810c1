"""/admin/queues: the queue's depth by priority and every consumer process, alive or gone,
with what each worker runs now. The page asks again every two seconds (admin.js)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from webapp.admin import bp
from webapp.consumers import consumer_list, queue_depth
from webapp.events import event_counts, paused_priorities


@bp.route("/queues")
def queues() -> ResponseReturnValue:
    """Queue depth by priority, scheduled tasks, paused priorities with the events waiting
    for them, and the consumers' heartbeats."""
    consumers = consumer_list()
    return render_template(
        "admin/queues.html",
        depth=queue_depth(),
        paused=paused_priorities(),
        queued_events=event_counts()["by_status_priority"].get("queued", {}),
        consumers=consumers,
        alive=sum(1 for c in consumers if c.alive),
    )
