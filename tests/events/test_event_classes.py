"""Event classes: names from class names, a registry filled by subclassing, before filters
inherited, extended, skipped, and halting."""

from __future__ import annotations

import pytest

from webapp.events import Event, event_name_for, get_event_class, registered_events


class TracedEvent(Event):
    """A shared base (not an event itself) whose filters record that they ran."""

    abstract = True
    before_filters = ["load_account", "load_settings"]

    def __init__(self, params=None, message=None) -> None:
        super().__init__(params, message)
        self.calls: list[str] = []

    def load_account(self) -> None:
        self.calls.append("load_account")

    def load_settings(self) -> None:
        self.calls.append("load_settings")

    def check_quota(self) -> bool:
        self.calls.append("check_quota")
        return self.params.get("quota", True)

    def process(self) -> None:
        self.calls.append("process")


class QuotaTracedEvent(TracedEvent):
    before_filters = ["check_quota"]


class NoAccountTracedEvent(QuotaTracedEvent):
    skip_before_filters = ["load_account"]


class NoAccountChildTracedEvent(NoAccountTracedEvent):
    pass


class RenamedEvent(Event):
    event_name = "renamed_on_purpose"

    def process(self) -> None:
        pass


@pytest.mark.parametrize(
    ("class_name", "event_name"),
    [
        ("HelloWorldEvent", "hello_world"),
        ("SendEmailEvent", "send_email"),
        ("HTTPPingEvent", "http_ping"),
        ("Sync", "sync"),
        ("Account2FAResetEvent", "account2_fa_reset"),
    ],
)
def test_event_name_derives_from_class_name(class_name, event_name):
    assert event_name_for(class_name) == event_name


def test_defining_a_subclass_registers_it_under_its_derived_name():
    assert get_event_class("quota_traced") is QuotaTracedEvent


def test_a_subclass_of_a_subclass_is_an_event_too():
    assert get_event_class("no_account_child_traced") is NoAccountChildTracedEvent


def test_abstract_bases_are_not_registered():
    assert "traced" not in registered_events()


def test_explicit_event_name_overrides_the_derived_one():
    assert get_event_class("renamed_on_purpose") is RenamedEvent
    assert "renamed" not in registered_events()


def test_application_events_are_loaded_on_lookup():
    assert get_event_class("hello_world").__name__ == "HelloWorldEvent"


def test_unknown_event_name_raises_lookup_error():
    with pytest.raises(LookupError, match="no_such_event"):
        get_event_class("no_such_event")


def test_a_second_class_with_a_taken_name_is_refused():
    with pytest.raises(ValueError, match="quota_traced"):

        class QuotaTracedEvent(Event):  # noqa: F811 - the same name on purpose
            def process(self) -> None:
                pass

    assert get_event_class("quota_traced").__module__ == __name__


def test_before_filters_extend_the_inherited_chain_in_order():
    event = QuotaTracedEvent({"quota": True})
    assert event.run() is True
    assert event.calls == ["load_account", "load_settings", "check_quota", "process"]


def test_skip_before_filters_removes_an_inherited_filter():
    event = NoAccountTracedEvent({})
    event.run()
    assert event.calls == ["load_settings", "check_quota", "process"]


def test_a_skipped_filter_stays_skipped_in_subclasses():
    assert NoAccountChildTracedEvent.filter_chain == ("load_settings", "check_quota")


def test_a_filter_returning_false_halts_before_process():
    event = QuotaTracedEvent({"quota": False})
    assert event.run() is False
    assert event.calls == ["load_account", "load_settings", "check_quota"]


def test_skipping_a_filter_that_is_not_inherited_is_refused():
    with pytest.raises(ValueError, match="load_profile"):

        class SkipsUnknownEvent(QuotaTracedEvent):
            skip_before_filters = ["load_profile"]


def test_a_before_filter_that_names_no_method_is_refused():
    with pytest.raises(ValueError, match="load_nothing"):

        class MissingFilterEvent(Event):
            before_filters = ["load_nothing"]

    assert "missing_filter" not in registered_events()


def test_an_event_without_process_fails_when_run():
    class NoProcessEvent(Event):
        abstract = True

    with pytest.raises(NotImplementedError):
        NoProcessEvent({}).run()


@pytest.mark.parametrize(("attribute", "value"), [("retries", -1), ("retry_delay", "soon")])
def test_a_bad_retry_policy_on_a_class_is_refused(attribute, value):
    with pytest.raises(ValueError, match=attribute):
        type("BadPolicyEvent", (Event,), {attribute: value, "process": lambda self: None})
