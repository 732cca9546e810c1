"""Short write transactions for hot paths: a few rows of the caller's and their activities,
committed together, then announced (``activity_committed``) like any other activity."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

from webapp.activity.models import Activity
from webapp.activity.service import (
    _PENDING,
    _execute,
    _send,
    _unknown_owner,
    activity_values,
)
from webapp.extensions import db


class WriteTransaction:
    """The block's connection, plus ``record`` for activities inside the transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.rows: list[dict[str, Any]] = []
        self.rolled_back = False

    def execute(self, statement: Any, params: Any = None):
        return self.connection.execute(statement, params)

    def record(self, *args: Any, **kwargs: Any) -> int:
        """Append one activity (record_activity's arguments, without ``commit``); its id."""
        row = activity_values(*args, **kwargs)
        with _unknown_owner([row]):
            _execute(self.connection, [row])
        self.rows.append(row)
        return row["id"]

    def rollback(self) -> None:
        """Undo the block's writes when it ends, instead of committing them."""
        self.rolled_back = True


@contextmanager
def write_transaction(*, durable: bool = True) -> Iterator[WriteTransaction]:
    """``with write_transaction() as tx: tx.execute(...); tx.record(...)``: one transaction,
    committed when the block ends (rolled back on an exception or ``tx.rollback()``); its
    activities are announced after the commit.

    A pooled connection of its own, without the session's bookkeeping, unless the session has
    a transaction open: then the session's (on SQLite a second writer would wait for it), and
    the session commits. ``durable=False``: on PostgreSQL the COMMIT does not wait for the
    disk (``synchronous_commit`` off for this transaction alone), for writes that a database
    crash may lose without harm.
    """
    session = db.session()
    if session.in_transaction() or session.dirty:
        tx = WriteTransaction(session.connection())
        try:
            yield tx
        except BaseException:
            session.rollback()
            raise
        if tx.rolled_back:
            session.rollback()
            return
        session.info.setdefault(_PENDING, []).extend(tx.rows)
        session.commit()
        return
    with session.get_bind(Activity.__mapper__).connect() as conn:
        trans = conn.begin()
        if not durable and conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        tx = WriteTransaction(conn)
        try:
            yield tx
        except BaseException:
            trans.rollback()
            raise
        if tx.rolled_back:
            trans.rollback()
            return
        trans.commit()
    if tx.rows:
        _send(list(tx.rows))
