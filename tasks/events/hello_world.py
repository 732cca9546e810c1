"""hello_world: the smallest event, ``queue_event("hello_world", name="world")``."""

from __future__ import annotations

from tasks.events.application_event import ApplicationEvent


class HelloWorldEvent(ApplicationEvent):
    """Prints a greeting in the consumer that processes it."""

    skip_before_filters = ["load_account"]

    def process(self) -> None:
        print("hello", self.params.get("name", "world"))  # noqa: T201 - its whole purpose
