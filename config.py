"""Beacon's settings, read from the environment.

Importable without Flask: the Huey instance is built from these settings at import time, in
every process (web, embedded consumer, standalone ``huey_consumer tasks.huey``).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("BEACON_INSTANCE_DIR", ROOT / "instance"))


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def _days(name: str, default: int) -> int:
    """A number of days, 0 or more (a retention setting: 0 keeps forever)."""
    days = _int(name, default)
    if days < 0:
        raise ValueError(f"{name} must be a whole number of days (0 keeps forever), got {days}")
    return days


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def _flag(name: str, default: bool) -> bool:
    """An on/off setting: "1" is on, "0" is off; unset takes the default."""
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    if raw not in ("0", "1"):
        raise ValueError(f"{name} must be 0 or 1, got {raw!r}")
    return raw == "1"


def _instance_secret() -> str | None:
    """The embedded default's key, written once by `make run` to instance/secret_key."""
    path = INSTANCE_DIR / "secret_key"
    return path.read_text().strip() if path.exists() else None


class Config:
    """The embedded default: SQLite + SqliteHuey in ``instance/``, no services needed."""

    ENV_NAME = "embedded"
    SECRET_KEY = os.environ.get("SECRET_KEY") or _instance_secret()
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'beacon.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = os.environ.get("REDIS_URL") or None

    # Huey: the queue lives in its own SQLite file unless REDIS_URL is set.
    BEACON_HUEY_NAME = os.environ.get("BEACON_HUEY_NAME", "beacon")
    BEACON_HUEY_FILE = os.environ.get("BEACON_HUEY_FILE", str(INSTANCE_DIR / "huey.db"))
    BEACON_REDIS_PREFIX = os.environ.get("BEACON_REDIS_PREFIX", "beacon:")
    # Keys whose values are masked wherever args, params, globals and fields are shown.
    BEACON_SENSITIVE_KEYS = os.environ.get(
        "BEACON_SENSITIVE_KEYS", "password,passwd,secret,token,api_key,card_number,cvv"
    )
    BEACON_CONSUMER_WORKERS = _int("BEACON_CONSUMER_WORKERS", 4)
    BEACON_CONSUMER_PERIODIC = os.environ.get("BEACON_CONSUMER_PERIODIC", "1") != "0"

    # Job statuses: "sql" (table job_status) or "redis" (hashes with TTL); default by REDIS_URL.
    BEACON_JOB_STORE = os.environ.get("BEACON_JOB_STORE") or ("redis" if REDIS_URL else "sql")
    BEACON_JOB_HEARTBEAT = _float("BEACON_JOB_HEARTBEAT", 5.0)
    BEACON_JOB_HEARTBEAT_TIMEOUT = _float("BEACON_JOB_HEARTBEAT_TIMEOUT", 30.0)
    # Consumers: a heartbeat every so many seconds; one silent for longer than the other
    # setting shows as gone on the queues page.
    BEACON_CONSUMER_HEARTBEAT = _float("BEACON_CONSUMER_HEARTBEAT", 5.0)
    BEACON_CONSUMER_GONE_AFTER = _float("BEACON_CONSUMER_GONE_AFTER", 20.0)

    # Operations: how long an action's lease lasts after its last renewal before the reaper
    # may resume it; a running action renews it every third of that.
    BEACON_ACTION_LEASE = _float("BEACON_ACTION_LEASE", 60.0)
    # How often a process looks for cancel requests of the jobs and actions running in it.
    BEACON_CANCEL_POLL = _float("BEACON_CANCEL_POLL", 0.5)

    # Events: queued rows older than this are re-enqueued by the sweeper.
    BEACON_EVENT_SWEEP_AFTER = _float("BEACON_EVENT_SWEEP_AFTER", 300.0)
    # Events: retries after a failed attempt, the pause before each, and how long a
    # `processing` row may go unfinished before the sweeper decides its consumer died.
    BEACON_EVENT_RETRIES = _int("BEACON_EVENT_RETRIES", 3)
    BEACON_EVENT_RETRY_DELAY = _float("BEACON_EVENT_RETRY_DELAY", 10.0)
    BEACON_EVENT_LEASE = _float("BEACON_EVENT_LEASE", 3600.0)

    # Fan-out of the Activity log to connected browsers.
    BEACON_FANOUT_POLL = _float("BEACON_FANOUT_POLL", 0.05)
    BEACON_FANOUT_GAP_WAIT = _float("BEACON_FANOUT_GAP_WAIT", 2.0)
    # A missing id stays watched this long (a very late row is still delivered, out of order).
    BEACON_FANOUT_GAP_TTL = _float("BEACON_FANOUT_GAP_TTL", 600.0)
    # Poll interval while Redis hints are flowing (they wake the fan-out on every commit).
    BEACON_FANOUT_IDLE_POLL = _float("BEACON_FANOUT_IDLE_POLL", 1.0)
    # Most rows one resume sends; beyond that the client is told to reload the feed.
    BEACON_FANOUT_BACKLOG = _int("BEACON_FANOUT_BACKLOG", 5000)
    # `job` events: at most one per job per interval (the latest state wins); without
    # Redis, connected users' jobs are read from the store this often.
    BEACON_JOB_EMIT_INTERVAL = _float("BEACON_JOB_EMIT_INTERVAL", 0.25)
    BEACON_JOB_POLL = _float("BEACON_JOB_POLL", 1.0)

    # "text", or "json": one JSON object per log line (the default in production).
    BEACON_LOG_FORMAT = os.environ.get("BEACON_LOG_FORMAT", "text")

    # Retention, applied daily by the activity_retention task: days after which old system
    # activities, and finished operations, events and job statuses, are deleted (the newest of
    # each subject + key, the newest failure of each name kept); 0 keeps them forever.
    ACTIVITY_RETENTION_DAYS = _days("ACTIVITY_RETENTION_DAYS", 90)
    OPERATION_RETENTION_DAYS = _days("OPERATION_RETENTION_DAYS", 90)
    EVENT_RETENTION_DAYS = _days("EVENT_RETENTION_DAYS", 30)
    JOB_RETENTION_DAYS = _days("JOB_RETENTION_DAYS", 30)
    BEACON_PASSWORD_METHOD = "scrypt"  # noqa: S105 - a hashing method, not a password
    # Login sessions end at logout, a password change, "sign out everywhere", or after this.
    BEACON_SESSION_DAYS = _int("BEACON_SESSION_DAYS", 14)
    # Failed logins (webapp/accounts/limits.py): one account from one address, one account
    # from all addresses, one address over all accounts. Flask-Limiter rate strings.
    BEACON_LOGIN_LIMIT = os.environ.get("BEACON_LOGIN_LIMIT", "5 per 5 minutes")
    BEACON_LOGIN_ACCOUNT_LIMIT = os.environ.get("BEACON_LOGIN_ACCOUNT_LIMIT", "50 per hour")
    BEACON_LOGIN_ADDRESS_LIMIT = os.environ.get("BEACON_LOGIN_ADDRESS_LIMIT", "100 per hour")
    # Flask-Limiter: the storage is Redis when REDIS_URL is set (see create_app), else memory.
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}
    # Proxies in front of the web processes whose X-Forwarded-* headers are believed (0: none).
    BEACON_TRUSTED_PROXIES = _int("BEACON_TRUSTED_PROXIES", 0)
    # GET /metrics: a bearer token for scrapers (unset: logged-in admins and viewers only),
    # and the window (seconds) the job and action duration histograms cover.
    BEACON_METRICS_TOKEN = os.environ.get("BEACON_METRICS_TOKEN") or None
    BEACON_METRICS_WINDOW = _float("BEACON_METRICS_WINDOW", 3600.0)

    # Demo application: its pages, periodic tasks and seeders exist only when this is on.
    BEACON_DEMO = _flag("BEACON_DEMO", True)
    BEACON_DEMO_SYNC_MINUTES = _int("BEACON_DEMO_SYNC_MINUTES", 1)
    BEACON_DEMO_FAILURE_RATE = _float("BEACON_DEMO_FAILURE_RATE", 0.3)
    # Chance per sync that the fake provider expires an account's token, or fails.
    BEACON_DEMO_EXPIRY_CHANCE = _float("BEACON_DEMO_EXPIRY_CHANCE", 0.02)
    BEACON_DEMO_SYNC_ERROR_RATE = _float("BEACON_DEMO_SYNC_ERROR_RATE", 0.05)
    BEACON_DEMO_EXPORT_DIR = os.environ.get("BEACON_DEMO_EXPORT_DIR", str(INSTANCE_DIR / "exports"))
    # Pause between batches of a CSV export, so the demo's progress bar can be watched.
    BEACON_DEMO_EXPORT_PAUSE = _float("BEACON_DEMO_EXPORT_PAUSE", 0.05)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 1024 * 1024
    TESTING = False


class ProductionConfig(Config):
    """Services from the environment; refuses to start without SECRET_KEY."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    BEACON_DEMO = _flag("BEACON_DEMO", False)
    BEACON_LOG_FORMAT = os.environ.get("BEACON_LOG_FORMAT", "json")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


class TestingConfig(Config):
    """Fast password hashing, CSRF on (tests prove it), no periodic consumer."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-secret"  # noqa: S105 - never used outside the test suite
    BEACON_PASSWORD_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - fast hashing for tests
    BEACON_CONSUMER_PERIODIC = False
    BEACON_HUEY_READ_TIMEOUT = 0.1


CONFIGS = {"embedded": Config, "production": ProductionConfig, "testing": TestingConfig}


def get_config(name: str | None = None) -> type[Config]:
    """The config class named by ``name`` or ``BEACON_ENV`` (default: embedded)."""
    name = name or os.environ.get("BEACON_ENV", "embedded")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(
            f"unknown BEACON_ENV {name!r}; expected one of {sorted(CONFIGS)}"
        ) from None


def settings(name: str | None = None) -> dict:
    """The chosen config class as a plain mapping of its upper-case settings."""
    cls = get_config(name)
    return {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
