"""The application's event classes, one module per event (`flask events new Name` adds one).

Every module of this package is imported here, so each class registers itself in any process
that imports ``tasks`` (web, embedded consumer, ``huey_consumer tasks.huey``).
"""

from webapp.events import import_event_modules

import_event_modules(__name__)
