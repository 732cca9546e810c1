"""What Beacon writes to disk is readable by its owner only: the instance folder 0700; the
secret key, the SQLite databases (with their -wal and -shm files), the Huey queue file and
CSV exports 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.demo.conftest import demo_settings
from tests.support.queue import drain
from webapp import create_app
from webapp.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    """The commonest umask, which leaves new files world-readable."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_the_databases_and_their_folder_are_private(tmp_path, loose_umask):
    instance = tmp_path / "instance"
    app = create_app(
        {
            "BEACON_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'beacon.db'}",
            "BEACON_HUEY_FILE": str(instance / "huey.db"),
        }
    )
    with app.app_context():
        db.create_all()  # the pool keeps its connection open: the WAL files exist
        files = sorted(p.name for p in instance.iterdir())
        modes = {name: oct(mode(instance / name)) for name in files}
        db.engine.dispose()
    assert {"beacon.db", "beacon.db-wal", "beacon.db-shm", "huey.db"} <= set(files)
    assert mode(instance) == 0o700
    assert modes == {name: oct(0o600) for name in files}


def test_an_instance_folder_left_readable_is_made_private(tmp_path, loose_umask):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    app = create_app(
        {
            "BEACON_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'beacon.db'}",
            "BEACON_HUEY_FILE": str(instance / "huey.db"),
        }
    )
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    assert mode(instance) == 0o700


def test_the_secret_key_make_writes_is_private(tmp_path, loose_umask):
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            "make",
            "-f",
            str(ROOT / "Makefile"),
            "-C",
            str(tmp_path),
            "instance/secret_key",
            f"BIN={bin_dir}",
        ],
        check=True,
        capture_output=True,
    )
    key = tmp_path / "instance" / "secret_key"
    assert len(key.read_text().strip()) == 64
    assert mode(key) == 0o600 and mode(key.parent) == 0o700


@pytest.mark.backends("sqlite")
def test_a_csv_export_is_private(app, subscriber, loose_umask):
    from tasks.demo.export import export_activity, export_path

    with app.app_context():
        job_id = export_activity(owner_id=subscriber.id).id
        drain()
        path = export_path(job_id)
    assert path.is_file()
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


@pytest.fixture
def app_settings(tmp_path) -> dict:
    return demo_settings(tmp_path)


ADD_ROW = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("insert into t values (0)")
conn.close()  # this process's last connection: SQLite deletes the -wal unless others lock it
"""


def test_making_an_open_database_private_keeps_its_connections_working(tmp_path):
    """``private_file`` on a SQLite file this process has open leaves its locks alone, so
    another process's writes stay visible here (closing a descriptor of the file would drop
    them, and the other process would delete the -wal this connection still reads)."""
    import sqlite3

    from webapp.files import private_file

    path = tmp_path / "open.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("pragma journal_mode=wal")
    conn.execute("create table t (n integer)")
    conn.execute("insert into t values (1)")
    private_file(path)
    for _ in range(2):  # the first close would delete the -wal, the second write goes unseen
        subprocess.run([sys.executable, "-c", ADD_ROW, str(path)], check=True, timeout=30)
    assert conn.execute("select count(*) from t").fetchone() == (3,)
    assert (tmp_path / "open.db-wal").exists()
    conn.close()
