"""The Event base class, the registry its subclasses fill, and their before-filter chains."""

from __future__ import annotations

import importlib
import pkgutil
import re
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from webapp.events.models import EventMessage

#: Where the application's event classes live; imported the first time a name is looked up.
APPLICATION_EVENTS = "tasks.events"

NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,99}")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

_registry: dict[str, type[Event]] = {}
_load_lock = threading.Lock()
_loaded = False


def event_name_for(class_name: str) -> str:
    """The event name of a class name: ``HelloWorldEvent`` -> ``hello_world``."""
    base = class_name[: -len("Event")] if class_name.endswith("Event") else class_name
    return _CAMEL_BOUNDARY.sub("_", base).lower()


class Event:
    """Base class of every event: subclass it, name it ``<Something>Event``, define ``process``.

    * The event name derives from the class name (``SendEmailEvent`` -> ``send_email``) unless
      the class sets ``event_name``; defining the class registers it, so ``queue_event`` and the
      consumer find it by name. A class that sets ``abstract = True`` in its own body (a shared
      base such as ``ApplicationEvent``) is not registered; its subclasses are.
    * ``params`` is the dict given to ``queue_event``; ``message`` the stored ``EventMessage``
      (None when an event is built directly, e.g. in a test); ``owner_id`` its owner.
    * ``before_filters`` names methods run before ``process``; each class's list extends the
      chain it inherits, and ``skip_before_filters`` removes inherited ones (for that class and
      its subclasses). A filter that returns ``False`` halts the event: ``process`` does not run
      and the message ends ``halted``. Any other return value lets processing continue.
    * ``retries`` / ``retry_delay`` override BEACON_EVENT_RETRIES / BEACON_EVENT_RETRY_DELAY
      for this class. An exception from a filter or ``process`` is a failed attempt.
    """

    abstract: ClassVar[bool] = True
    event_name: ClassVar[str]
    before_filters: ClassVar[Sequence[str]] = ()
    skip_before_filters: ClassVar[Sequence[str]] = ()
    retries: ClassVar[int | None] = None
    retry_delay: ClassVar[float | None] = None
    #: The effective filter chain, computed once per class.
    filter_chain: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.filter_chain = _filter_chain(cls)
        _check_retry_policy(cls)
        if cls.__dict__.get("abstract", False):
            return
        if "event_name" not in cls.__dict__:
            cls.event_name = event_name_for(cls.__name__)
        register(cls)

    def __init__(
        self, params: Mapping[str, Any] | None = None, message: EventMessage | None = None
    ) -> None:
        self.params: dict[str, Any] = dict(params or {})
        self.message = message

    @property
    def name(self) -> str:
        return self.event_name

    @property
    def owner_id(self) -> int | None:
        return self.message.owner_id if self.message is not None else None

    @property
    def attempt(self) -> int:
        """Which attempt this is (1 for the first), or 0 outside a consumer."""
        return self.message.attempts if self.message is not None else 0

    def run(self) -> bool:
        """Run the before filters, then ``process``; False when a filter halted the event."""
        for filter_name in self.filter_chain:
            if getattr(self, filter_name)() is False:
                return False
        self.process()
        return True

    def process(self) -> None:
        """Do the work of this event (override it)."""
        raise NotImplementedError(f"{type(self).__name__} does not define process()")


def _filter_chain(cls: type[Event]) -> tuple[str, ...]:
    chain: list[str] = []
    for base in cls.__bases__:  # each parent's chain already holds its own ancestors' filters
        for name in getattr(base, "filter_chain", ()):
            if name not in chain:
                chain.append(name)
    own = cls.__dict__.get("before_filters", ())
    skip = cls.__dict__.get("skip_before_filters", ())
    for label, names in (("before_filters", own), ("skip_before_filters", skip)):
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"{cls.__name__}.{label} must be a list of method names: {names!r}")
    for name in own:
        if not callable(getattr(cls, name, None)):
            raise ValueError(f"{cls.__name__}: before filter {name!r} is not a method")
        if name not in chain:
            chain.append(name)
    for name in skip:
        if name not in chain:
            raise ValueError(f"{cls.__name__}: cannot skip {name!r}, it is not an inherited filter")
        chain.remove(name)
    return tuple(chain)


def _check_retry_policy(cls: type[Event]) -> None:
    retries, delay = cls.retries, cls.retry_delay
    if retries is not None and (
        isinstance(retries, bool) or not isinstance(retries, int) or retries < 0
    ):
        raise ValueError(f"{cls.__name__}.retries must be a whole number >= 0, got {retries!r}")
    if delay is not None and (
        isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0
    ):
        raise ValueError(f"{cls.__name__}.retry_delay must be seconds >= 0, got {delay!r}")


def register(cls: type[Event]) -> None:
    """Add an event class to the registry (defining a subclass of Event does this)."""
    name = cls.event_name
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ValueError(f"invalid event name {name!r} for {cls.__qualname__}")
    current = _registry.get(name)
    if current is not None and _origin(current) != _origin(cls):
        raise ValueError(f"event {name!r} is defined twice: {_origin(current)} and {_origin(cls)}")
    _registry[name] = cls  # the same class defined again (a module reload) replaces itself


def unregister(name: str) -> None:
    """Forget an event class (for tests that define classes on the fly)."""
    _registry.pop(name, None)


def _origin(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def registered_events() -> dict[str, type[Event]]:
    """Every known event class by name (loads the application's event modules first)."""
    load_application_events()
    return dict(_registry)


def get_event_class(name: str) -> type[Event]:
    """The event class registered under ``name``; LookupError when there is none."""
    if name not in _registry:
        load_application_events()
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"unknown event {name!r}") from None


def load_application_events() -> None:
    """Import the application's event package once, so every process knows every event."""
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if not _loaded:
            importlib.import_module(APPLICATION_EVENTS)
            _loaded = True


def import_event_modules(package: str) -> list[str]:
    """Import every module of a package (its classes register themselves); their names."""
    pkg = importlib.import_module(package)
    names = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__, f"{package}."), key=lambda i: i.name):
        importlib.import_module(info.name)
        names.append(info.name)
    return names
