"""The demo application's jobs: account sync, CSV export, subscription fulfillment, and the
health check of the periodic tasks. Importing the package registers every task."""

from tasks.demo import export, fulfillment, health, provider, sync  # noqa: F401
