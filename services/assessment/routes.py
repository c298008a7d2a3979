"""HTTP routes of the assessment service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from safeguard.web import PoolDep
from services.assessment import store
from services.assessment.models import TaskPage

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


@router.get("")
async def list_tasks(
    pool: PoolDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TaskPage:
    """The task inbox, soonest due first."""
    async with pool.acquire() as conn:
        return TaskPage(items=await store.list_tasks(conn, limit=limit, offset=offset))
