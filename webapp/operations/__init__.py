"""Operations: multi-step jobs made of actions on named branches, each action its own task.

Public API: ``start_operation``, ``retry_operation``, ``rerun_action`` (a finished operation
run again from a chosen step, its globals edited first; ``changed_keys`` says which globals an
edit changes), the models ``Operation``, ``Action`` and ``Attempt`` (one finished attempt of
an action), ``ActionContext`` (the ``action`` every action receives), the
``operation_changed`` signal, ``reap_expired_actions`` (the reaper, callable directly),
``cancel_operation`` and ``OperationCancelled`` (what ``action.check_cancelled()`` raises),
``delete_operation`` (a finished one, with its actions), and the admin queries in
``webapp.operations.queries``. Importing the package registers the action-runner task, the
reaper periodic task and the retention of finished operations.
"""

from webapp.operations.context import ActionContext, OperationCancelled
from webapp.operations.models import (
    ACTIVE_STATES,
    CANCELLED,
    FINISHED_STATES,
    OUTCOMES,
    STATES,
    Action,
    Attempt,
    Operation,
)
from webapp.operations.rerun import rerun_action, retry_operation
from webapp.operations.retention import delete_operation
from webapp.operations.signals import operation_changed
from webapp.operations.spec import changed_keys
from webapp.operations.transitions import (
    cancel_operation,
    reap_expired_actions,
    run_action,
    start_operation,
)

__all__ = [
    "ACTIVE_STATES",
    "CANCELLED",
    "FINISHED_STATES",
    "OUTCOMES",
    "STATES",
    "Action",
    "ActionContext",
    "Attempt",
    "Operation",
    "OperationCancelled",
    "cancel_operation",
    "changed_keys",
    "delete_operation",
    "operation_changed",
    "reap_expired_actions",
    "rerun_action",
    "retry_operation",
    "run_action",
    "start_operation",
]
