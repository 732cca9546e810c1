"""Operations: multi-step jobs made of actions on named branches, each action its own task.

Public API: ``start_operation``, ``retry_operation``, ``rerun_action``, the models
``Operation`` and ``Action``, ``ActionContext`` (the ``action`` every action receives), the
``operation_changed`` signal, ``reap_expired_actions`` (the reaper, callable directly) and the
admin queries in ``webapp.operations.queries``. Importing the package registers the
action-runner task and the reaper periodic task.
"""

from webapp.operations.context import ActionContext
from webapp.operations.models import ACTIVE_STATES, STATES, Action, Operation
from webapp.operations.signals import operation_changed
from webapp.operations.transitions import (
    reap_expired_actions,
    rerun_action,
    retry_operation,
    run_action,
    start_operation,
)

__all__ = [
    "ACTIVE_STATES",
    "STATES",
    "Action",
    "ActionContext",
    "Operation",
    "operation_changed",
    "reap_expired_actions",
    "rerun_action",
    "retry_operation",
    "run_action",
    "start_operation",
]
