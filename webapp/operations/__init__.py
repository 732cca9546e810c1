"""Operations: multi-step jobs made of actions on named branches, each action its own task.

Public API: ``start_operation``, ``retry_operation``, ``rerun_action``, the models
``Operation`` and ``Action``, ``ActionContext`` (the ``action`` every action receives), the
``operation_changed`` signal, ``reap_expired_actions`` (the reaper, callable directly),
``cancel_operation`` and ``OperationCancelled`` (what ``action.check_cancelled()`` raises), and
the admin queries in ``webapp.operations.queries``. Importing the package registers the
action-runner task and the reaper periodic task.
"""

from webapp.operations.context import ActionContext, OperationCancelled
from webapp.operations.models import ACTIVE_STATES, CANCELLED, STATES, Action, Operation
from webapp.operations.signals import operation_changed
from webapp.operations.transitions import (
    cancel_operation,
    reap_expired_actions,
    rerun_action,
    retry_operation,
    run_action,
    start_operation,
)

__all__ = [
    "ACTIVE_STATES",
    "CANCELLED",
    "STATES",
    "Action",
    "ActionContext",
    "Operation",
    "OperationCancelled",
    "cancel_operation",
    "operation_changed",
    "reap_expired_actions",
    "rerun_action",
    "retry_operation",
    "run_action",
    "start_operation",
]

from webapp.operations import retention  # noqa: E402,F401  (registers its retention)
