"""The activity search and its CSV export (streamed; formula-leading cells neutralised)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.admin import factories
from webapp.admin.export import safe_cell


def found(client, query: str) -> str:
    resp = client.get(f"/admin/activity{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_data(as_text=True)


def test_key_prefix_search_finds_keys_starting_with_it(app, admin_client):
    factories.activity(app, "sync.completed", message="synced-one")
    factories.activity(app, "sync.failed", False, message="synced-two")
    factories.activity(app, "syncer.started", message="not-a-sync")
    page = found(admin_client, "?key=sync.")
    assert "synced-one" in page and "synced-two" in page and "not-a-sync" not in page


def test_search_by_user_email_and_flags(app, admin_client, subscriber):
    factories.activity(app, "a.mine", message="mine-public", user_id=subscriber.id)
    factories.activity(app, "a.mine", message="mine-private", user_id=subscriber.id, private=True)
    factories.activity(app, "a.system", message="system-wide", system=True)
    page = found(admin_client, f"?user={subscriber.email}&private=no")
    assert "mine-public" in page and "mine-private" not in page and "system-wide" not in page
    page = found(admin_client, "?user=none&system=yes")
    assert "system-wide" in page and "mine-public" not in page


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?key=Sync", "is not a key prefix"),
        ("?user=ghost@example.com", "no user with email"),
        ("?system=maybe", "system must be yes, no or any"),
        ("?before=-3", "before must be from 1 to"),
        ("?limit=500", "limit must be from 1 to 200"),
    ],
)
def test_bad_search_input_answers_400_with_the_reason(admin_client, query, message):
    resp = admin_client.get(f"/admin/activity{query}")
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain = text", "plain = text"),
        (None, ""),
    ],
)
def test_safe_cell_quotes_formula_leading_text(text, cell):
    assert safe_cell(text) == cell


def test_csv_export_escapes_formula_leading_cells(app, admin_client):
    factories.activity(app, "export.check", -5, "=cmd|'/c calc'!A1")
    factories.activity(app, "export.check", True, "@SUM(1)")
    factories.activity(app, "export.check", True, "+1 and -1 are fine here")
    resp = admin_client.get("/admin/activity.csv?key=export.")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["message"] for r in rows] == [
        "'+1 and -1 are fine here",
        "'@SUM(1)",
        "'=cmd|'/c calc'!A1",
    ]
    assert rows[2]["value"] == "'-5"


def test_csv_export_streams_every_filtered_row_across_batches(app, admin_client):
    from webapp.activity import record_many

    with app.app_context():
        record_many([{"key": "bulk.row", "value": n} for n in range(1200)])
        record_many([{"key": "other.row", "value": 0}])
    resp = admin_client.get("/admin/activity.csv?key=bulk.")
    assert resp.is_streamed
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert len(rows) == 1200 and {r["key"] for r in rows} == {"bulk.row"}
    ids = [int(r["id"]) for r in rows]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.backends("sqlite")
def test_csv_export_in_progress_does_not_hold_the_sqlite_write_lock(app, admin_client, backend):
    import sqlite3

    from webapp.activity import record_many

    with app.app_context():
        record_many([{"key": "bulk.row", "value": n} for n in range(1200)])
    resp = admin_client.get("/admin/activity.csv?key=bulk.", buffered=False)
    chunks = iter(resp.response)
    next(chunks), next(chunks)  # the header, then a batch: the export's transaction is open
    path = backend.settings["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    writer = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the export holds it
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    rest = "".join(chunk.decode() if isinstance(chunk, bytes) else chunk for chunk in chunks)
    assert rest.count("\n") > 0
    resp.close()
