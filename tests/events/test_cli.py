"""`flask events new Name`: a working event class the registry loads; never an overwrite."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import ROOT
from tests.support.queue import drain
from webapp.events import EventMessage, get_event_class, import_event_modules, queue_event
from webapp.events.base import unregister
from webapp.extensions import db

pytestmark = pytest.mark.backends("sqlite")  # files and the registry; no backend difference


@pytest.fixture
def event_package(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An empty package on sys.path standing in for tasks/events."""
    name = f"scaffolded_{uuid.uuid4().hex[:8]}"
    directory = tmp_path / name
    directory.mkdir()
    (directory / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    try:
        yield name, directory
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m.split(".")[0] == name]:
            del sys.modules[module]
        unregister("send_reminder")


def new_event(app, *args: str):
    return app.test_cli_runner().invoke(args=["events", "new", *args])


def test_events_new_scaffolds_a_class_that_the_registry_loads_and_runs(app, event_package):
    package, directory = event_package
    result = new_event(app, "SendReminder", "--directory", str(directory))
    assert result.exit_code == 0, result.output
    assert (directory / "send_reminder.py").exists()

    import_event_modules(package)
    assert get_event_class("send_reminder").__name__ == "SendReminderEvent"
    with app.app_context():
        message = queue_event("send_reminder", to="world")
        drain()
        assert db.session.get(EventMessage, message.id, populate_existing=True).status == "done"


def test_events_new_accepts_the_event_suffix(app, event_package):
    _, directory = event_package
    assert new_event(app, "SendReminderEvent", "--directory", str(directory)).exit_code == 0
    assert "class SendReminderEvent(" in (directory / "send_reminder.py").read_text()


def test_events_new_refuses_to_overwrite_an_existing_file(app, event_package):
    _, directory = event_package
    (directory / "send_reminder.py").write_text("# mine\n")
    result = new_event(app, "SendReminder", "--directory", str(directory))
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert (directory / "send_reminder.py").read_text() == "# mine\n"


def test_events_new_writes_into_tasks_events_by_default(app):
    result = new_event(app, "HelloWorld")  # tasks/events/hello_world.py exists: refused
    assert result.exit_code != 0
    assert str(ROOT / "tasks" / "events" / "hello_world.py") in result.output


def test_events_new_refuses_a_name_another_module_defines(app, event_package):
    _, directory = event_package
    result = new_event(app, "HelloWorld", "--directory", str(directory))
    assert result.exit_code != 0
    assert "tasks.events.hello_world" in result.output
    assert list(directory.iterdir()) == [directory / "__init__.py"]


@pytest.mark.parametrize("bad", ["hello_world", "9Lives", "Hello-World", "Event"])
def test_events_new_refuses_a_name_that_is_not_camel_case(app, event_package, bad):
    _, directory = event_package
    result = new_event(app, bad, "--directory", str(directory))
    assert result.exit_code != 0
    assert "CamelCase" in result.output
