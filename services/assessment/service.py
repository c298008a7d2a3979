"""The inbox and its tasks: listing, reading, claiming, assigning and releasing.

Who holds a task is this service's own record, never case state; changes are guarded by the
task's `version` (sent back as `If-Match`), and concurrent claims queue on the row's lock.
"""

from __future__ import annotations

from uuid import UUID

from safeguard import access_log
from safeguard.access_log import record_read
from safeguard.audit.actions import record_action
from safeguard.auth.staff import StaffPrincipal
from safeguard.db.pool import Connection, Pool
from safeguard.errors import ProblemError
from services.assessment import officers, store
from services.assessment.access import SERVICE, sees_area, sees_case, visible_areas
from services.assessment.models import InboxMetrics, TaskPage, TaskRead, TaskStatus

# How each change of a task's holder is named in the audit log.
TASK_ACTIONS = {
    "claim": "assessment.task_claimed",
    "assign": "assessment.task_assigned",
    "take_over": "assessment.task_taken_over",
    "release": "assessment.task_released",
}
# What an inbox page shows of each case: ids, codes and dates, never the form.
INBOX_FIELDS = (
    "task.reference",
    "task.kind",
    "task.stage",
    "task.area",
    "task.sector",
    "task.concern_type",
    "task.due_at",
    "task.assignee",
)


async def inbox(
    pool: Pool,
    *,
    principal: StaffPrincipal,
    query: store.TaskQuery,
    limit: int,
    offset: int,
    purpose: str,
) -> TaskPage:
    """One page of the caller's inbox, read, counted and logged in one statement: one round
    trip, and the page never leaves without its access-log row (they commit together)."""
    record = access_log.read_parameters(
        service=SERVICE,
        principal=principal,
        referral_id=None,
        fields=INBOX_FIELDS,
        purpose=purpose,
    )
    seen, seen_args = officers.seen_cte(principal, first=len(record) + 1)
    ctes = ", ".join(cte for cte in (access_log.READ_RECORD, seen) if cte)
    async with pool.acquire() as conn:
        items, total = await store.list_tasks(
            conn, query, limit=limit, offset=offset, ctes=ctes, cte_args=[*record, *seen_args]
        )
    shown = offset + len(items)
    return TaskPage(
        items=items,
        total=total,
        offset=offset,
        limit=limit,
        next_offset=shown if shown < total else None,
    )


async def read_task(
    pool: Pool, *, principal: StaffPrincipal, task_id: UUID, purpose: str
) -> TaskRead:
    """One task, if its case is in the caller's areas (or in triage)."""
    async with pool.acquire() as conn, conn.transaction():
        task = await store.get_task(conn, task_id)
        if task is None or not sees_case(principal, task.area):
            raise _unknown(task_id)
        await record_read(
            conn,
            service=SERVICE,
            principal=principal,
            referral_id=task.referral_id,
            fields=INBOX_FIELDS,
            purpose=purpose,
        )
    return task


async def claim(
    pool: Pool, *, principal: StaffPrincipal, task_id: UUID, expected: int | None
) -> TaskRead:
    """Take an unheld task; 409 if another officer holds it (claiming twice is harmless)."""
    async with pool.acquire() as conn, conn.transaction():
        await officers.seen(conn, principal)
        task = await _open_task(conn, principal, task_id, expected)
        if task.assignee == principal.subject:
            return task
        if task.assignee is not None:
            raise _held(task)
        return await _hand(conn, task, principal, action="claim", to=principal.subject)


async def assign(
    pool: Pool, *, principal: StaffPrincipal, task_id: UUID, assignee: str, expected: int | None
) -> TaskRead:
    """Give a task to an officer, whoever holds it; `If-Match` is required, so no blind takeover."""
    if expected is None:
        raise ProblemError(
            428, "Precondition required", "Send If-Match with the task's version to assign it."
        )
    async with pool.acquire() as conn, conn.transaction():
        await officers.seen(conn, principal)
        task = await _open_task(conn, principal, task_id, expected)
        if task.assignee == assignee:
            return task
        if not await officers.known_in(conn, assignee, task.area):
            raise _unknown_officer(assignee, task.area)
        # Giving yourself a task another officer holds is a take-over: recorded as one.
        taken = assignee == principal.subject and task.assignee is not None
        action = "take_over" if taken else "assign"
        return await _hand(conn, task, principal, action=action, to=assignee)


async def check_holder(pool: Pool, *, principal: StaffPrincipal, reference: str) -> None:
    """Refuse a decision on a case whose open task another officer holds (409): the caller
    takes the task over first (assigns it to themselves with If-Match), which is recorded."""
    async with pool.acquire() as conn:
        case = await store.case_by_reference(conn, reference)
        tasks = await store.tasks_for_case(conn, case["referral_id"]) if case else []
    for task in tasks:
        if task.status is TaskStatus.OPEN and task.assignee not in (None, principal.subject):
            raise ProblemError(
                409,
                "Task held by another officer",
                f"{task.assignee} holds this case's task: ask them, or take it over first"
                " (assign it to yourself with If-Match), which is recorded.",
                task_id=str(task.id),
                assignee=task.assignee,
                version=task.version,
            )


async def release(
    pool: Pool, *, principal: StaffPrincipal, task_id: UUID, expected: int | None
) -> TaskRead:
    """Put a task back; someone else's only with `If-Match` (a deliberate override)."""
    async with pool.acquire() as conn, conn.transaction():
        task = await _open_task(conn, principal, task_id, expected)
        if task.assignee is None:
            return task
        if task.assignee != principal.subject and expected is None:
            raise _held(task)
        return await _hand(conn, task, principal, action="release", to=None)


async def metrics(pool: Pool, *, principal: StaffPrincipal) -> InboxMetrics:
    """Counts over the caller's areas (every area for operators): no case content."""
    async with pool.acquire() as conn:
        counts = await store.metrics(conn, areas=visible_areas(principal))
    return InboxMetrics.model_validate(counts)


def _visible(principal: StaffPrincipal, task: TaskRead | None, task_id: UUID) -> TaskRead:
    # Another area's task is answered exactly like an unknown one. A triage task may be read
    # but not held: it is claimed once its case is placed in an area.
    if task is None or not sees_area(principal, task.area):
        raise _unknown(task_id)
    return task


def _unknown(task_id: UUID) -> ProblemError:
    return ProblemError(404, "Unknown task", "No task with that id in your areas.")


async def _open_task(
    conn: Connection, principal: StaffPrincipal, task_id: UUID, expected: int | None
) -> TaskRead:
    task = _visible(principal, await store.get_task(conn, task_id, lock=True), task_id)
    if expected is not None and expected != task.version:
        raise ProblemError(
            412,
            "Precondition failed",
            "The task changed since you read it; read it again.",
            version=task.version,
            assignee=task.assignee,
        )
    if task.status is not TaskStatus.OPEN:
        raise ProblemError(
            409, "Task closed", f"The task is {task.status}.", task_status=str(task.status)
        )
    return task


def _unknown_officer(assignee: str, area: str) -> ProblemError:
    return ProblemError(
        422,
        "Unknown officer",
        "The assignee is not a known Prevent officer of the task's area: an officer becomes"
        " known when they sign in, and a task goes only to an officer of its area.",
    )


def _held(task: TaskRead) -> ProblemError:
    return ProblemError(
        409,
        "Task held by another officer",
        "Another officer holds this task; ask them, or assign it with If-Match.",
        assignee=task.assignee,
        version=task.version,
    )


async def _hand(
    conn: Connection, task: TaskRead, principal: StaffPrincipal, *, action: str, to: str | None
) -> TaskRead:
    updated = await store.set_assignee(conn, task_id=task.id, assignee=to)
    await store.add_history(
        conn,
        task_id=task.id,
        actor=principal.subject,
        action=action,
        assignee=to,
        version=updated.version,
        previous=task.assignee,
    )
    # The task's holder is not case state, so the workflow never hears of it: the audit log
    # keeps it for the case's timeline (officer ids are staff identifiers, not the person's).
    await record_action(
        conn,
        principal,
        TASK_ACTIONS[action],
        [task.referral_id],
        task_id=task.id,
        task_kind=task.kind,
        assignee=to,
        previous=task.assignee,
        version=updated.version,
    )
    return updated
