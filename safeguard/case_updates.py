"""Acting on a case: run a workflow update and turn its answer into HTTP terms.

Services never write case state themselves; every change is a `ReferralWorkflow` update.
A rejection keeps its reason: wrong stage is 409 (with the current stage), as is a conflict with
the rest of the case's state; wrong role 403, invalid content 422; an unreachable Temporal is
503, so nothing submitted is silently dropped.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.client import Client, RPCError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCStatusCode

from safeguard import outages
from safeguard.errors import ProblemError, documented_problem, retry_after, unavailable
from safeguard.outages import Dependency

_STATUS = {
    "WrongStage": 409,
    "Conflict": 409,
    "NotPermitted": 403,
    "InvalidContent": 422,
    "TransferPending": 409,
    "NoTransferPending": 409,
    "SameArea": 422,
    "NotReceivingArea": 403,
    "NotSendingArea": 403,
}
_TITLES = {
    "WrongStage": "The case has moved on",
    "Conflict": "Conflicts with the case as it stands",
    "NotPermitted": "Not permitted",
    "InvalidContent": "Invalid decision",
    "TransferPending": "Transfer already requested",
    "NoTransferPending": "No transfer requested",
    "SameArea": "Already in that area",
    "NotReceivingArea": "Not the receiving area",
    "NotSendingArea": "Not the sending area",
}

# What a case update may answer, documented on every route that runs one (`safeguard.openapi`).
UPDATE_REFUSALS = {
    403: documented_problem("`Not permitted`: the case's rules do not let the caller do this."),
    409: documented_problem(
        "`The case has moved on` (its stage no longer allows this; `stage` says where it is) or"
        " `Conflicts with the case as it stands`."
    ),
    422: documented_problem("`Invalid decision`: the content breaks a rule of the process."),
    500: documented_problem(
        "`The case could not apply this decision`: the case engine failed to apply it."
    ),
}

# What a transfer's request and answers may answer besides, as their routes document it.
TRANSFER_REQUEST_REFUSALS: dict[int | str, dict[str, Any]] = {
    409: documented_problem(
        "`Transfer already requested` (one transfer waits at a time: withdraw it first), or"
        " `The case has moved on` (closed; `stage` says where it is)."
    ),
    422: documented_problem(
        "`Already in that area` (the case is in `to_area`), `Invalid decision`, or an invalid"
        " body (each field named in `errors`)."
    ),
}

_ANSWER_CONFLICTS = documented_problem(
    "`No transfer requested` (none waits, or it was answered or withdrawn already), or `The"
    " case has moved on` (closed; `stage` says where it is)."
)

TRANSFER_ANSWER_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: documented_problem(
        "`Not the receiving area`: only the area the transfer is to may accept or decline it"
        " (the sending area may withdraw it)."
    ),
    404: documented_problem("No such case in your areas, and no transfer of it waiting for them."),
    409: _ANSWER_CONFLICTS,
}

TRANSFER_WITHDRAW_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: documented_problem(
        "`Not the sending area`: only the case's own area may withdraw its request (the"
        " receiving area declines it instead)."
    ),
    404: documented_problem("No such case in your areas, and no transfer of it waiting for them."),
    409: _ANSWER_CONFLICTS,
}


# The request's Idempotency-Key, if the caller sent one: a retried request then names the same
# Temporal update, which the workflow applies once and answers again with the first result.
_idempotency_key: ContextVar[str | None] = ContextVar("idempotency_key", default=None)


class IdempotencyKeyMiddleware:
    """Expose the request's `Idempotency-Key` header to `run_update`."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Set the key for this request only."""
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        key = headers.get(b"idempotency-key")
        token = _idempotency_key.set(key.decode("latin-1")[:200] if key else None)
        try:
            await self._app(scope, receive, send)
        finally:
            _idempotency_key.reset(token)


def _update_id(workflow_id: str, update: Any) -> str | None:
    key = _idempotency_key.get()
    if key is None:
        return None
    name = getattr(update, "__name__", str(update))
    digest = hashlib.sha256(f"{workflow_id}|{name}|{key}".encode()).hexdigest()
    return f"{name}-{digest[:32]}"


async def run_update(client: Client, workflow_id: str, update: Any, arg: Any) -> Any:
    """Execute `update` on the case's current run and return its result."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        result = await handle.execute_update(update, arg, id=_update_id(workflow_id, update))
    except WorkflowUpdateFailedError as error:
        outages.current().ended(Dependency.TEMPORAL)  # it answered, with a refusal
        raise _rejection(error) from error
    except RPCError as error:
        raise _unavailable(error) from error
    outages.current().ended(Dependency.TEMPORAL)
    return result


async def run_query(client: Client, workflow_id: str, query: Any) -> Any:
    """Run a query on the case's current run."""
    try:
        result = await client.get_workflow_handle(workflow_id).query(query)
    except RPCError as error:
        raise _unavailable(error) from error
    outages.current().ended(Dependency.TEMPORAL)
    return result


def _rejection(error: WorkflowUpdateFailedError) -> ProblemError:
    cause = error.cause
    if not isinstance(cause, ApplicationError) or cause.type not in _STATUS:
        return ProblemError(500, "The case could not apply this decision")
    details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
    problem = ProblemError(_STATUS[cause.type], _TITLES[cause.type], cause.message)
    # e.g. {"stage": "PANEL_CONSIDERATION"}: the client learns where the case now stands.
    problem.extra = {str(key): str(value) for key, value in details.items()}
    return problem


def _unavailable(error: RPCError) -> ProblemError:
    if error.status == RPCStatusCode.NOT_FOUND:
        outages.current().ended(Dependency.TEMPORAL)
        return ProblemError(404, "Unknown case", "No running case has that reference.")
    # An outage is logged once, not per request; any other refusal is still no answer.
    if outages.outage_of(error) is Dependency.TEMPORAL:
        outages.current().began(Dependency.TEMPORAL, error)
    problem = unavailable(Dependency.TEMPORAL)
    return ProblemError(problem.status, problem.title, problem.detail, headers=retry_after())
