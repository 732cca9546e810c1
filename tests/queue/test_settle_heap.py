"""The web server sets its startup heap aside before serving (``flask beacon run``)."""

from __future__ import annotations

import gc
import weakref

from webapp.serving import settle_heap


class Node:
    pass


def test_settle_heap_takes_what_exists_out_of_the_collectors_view():
    try:
        settle_heap()
        assert gc.get_freeze_count() > 10_000
        assert gc.isenabled()
        # What is made afterwards is collected as usual: a reference cycle is freed.
        node = Node()
        node.self = node
        gone = weakref.ref(node)
        del node
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
