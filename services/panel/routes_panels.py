"""HTTP routes for panels and meetings: parse, authorise, delegate."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path

from safeguard.access_log import stated_purpose
from safeguard.fieldcrypt.setup import KeyringDep
from safeguard.web import PoolDep
from services.panel import meetings
from services.panel.access import Chair, Reader
from services.panel.cases import CASE_ENDED
from services.panel.models import (
    AgendaAdd,
    AttendanceCreate,
    MeetingCreate,
    MeetingListed,
    MeetingRead,
    MemberPut,
    PanelCreate,
    PanelRead,
)

Purpose = Annotated[str, Depends(stated_purpose)]
Subject = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:@-]+$")]

panels_router = APIRouter(prefix="/v1/panels", tags=["panels"])
meetings_router = APIRouter(prefix="/v1/meetings", tags=["meetings"])


@panels_router.post("", status_code=201)
async def create_panel(body: PanelCreate, principal: Chair, pool: PoolDep) -> PanelRead:
    """Set up a panel in one of your areas, with its members."""
    return await meetings.create_panel(pool, principal=principal, body=body)


@panels_router.get("")
async def list_panels(principal: Reader, pool: PoolDep) -> list[PanelRead]:
    """Panels of your areas; a panel member sees the panels they sit on."""
    return await meetings.list_panels(pool, principal=principal)


@panels_router.get("/{panel_id}")
async def get_panel(panel_id: UUID, principal: Reader, pool: PoolDep) -> PanelRead:
    """One panel and its members."""
    return await meetings.read_panel(pool, principal=principal, panel_id=panel_id)


@panels_router.put("/{panel_id}/members/{subject}")
async def put_member(
    panel_id: UUID, subject: Subject, body: MemberPut, principal: Chair, pool: PoolDep
) -> PanelRead:
    """Seat a member (by their identity provider subject) and the agency they represent."""
    return await meetings.put_member(
        pool, principal=principal, panel_id=panel_id, subject=subject, agency=body.agency
    )


@panels_router.delete("/{panel_id}/members/{subject}")
async def remove_member(
    panel_id: UUID, subject: Subject, principal: Chair, pool: PoolDep
) -> PanelRead:
    """Unseat a member: they stop seeing the panel's agendas at once."""
    return await meetings.remove_member(
        pool, principal=principal, panel_id=panel_id, subject=subject
    )


@panels_router.get("/{panel_id}/meetings")
async def list_meetings(panel_id: UUID, principal: Reader, pool: PoolDep) -> list[MeetingListed]:
    """The panel's meetings, soonest first: when, how many cases, published, attended."""
    return await meetings.list_meetings(pool, principal=principal, panel_id=panel_id)


@panels_router.post("/{panel_id}/meetings", status_code=201, responses=CASE_ENDED)
async def create_meeting(
    panel_id: UUID, body: MeetingCreate, principal: Chair, pool: PoolDep, keyring: KeyringDep
) -> MeetingRead:
    """Schedule a meeting with the cases on its agenda (open cases only)."""
    return await meetings.create_meeting(
        pool,
        keyring,
        principal=principal,
        panel_id=panel_id,
        scheduled_for=body.scheduled_for,
        agenda=body.agenda,
    )


@meetings_router.get("/{meeting_id}")
async def get_meeting(
    meeting_id: UUID, principal: Reader, purpose: Purpose, pool: PoolDep, keyring: KeyringDep
) -> MeetingRead:
    """A meeting: agenda, attendees and declared conflicts (the read is logged)."""
    return await meetings.read_meeting(
        pool, keyring, principal=principal, meeting_id=meeting_id, purpose=purpose
    )


@meetings_router.post("/{meeting_id}/agenda", responses=CASE_ENDED)
async def add_to_agenda(
    meeting_id: UUID, body: AgendaAdd, principal: Chair, pool: PoolDep, keyring: KeyringDep
) -> MeetingRead:
    """Put an open case of the panel's area on the agenda."""
    return await meetings.add_to_agenda(
        pool, keyring, principal=principal, meeting_id=meeting_id, reference=body.reference
    )


@meetings_router.post("/{meeting_id}/agenda/publish")
async def publish_agenda(
    meeting_id: UUID, principal: Chair, pool: PoolDep, keyring: KeyringDep
) -> MeetingRead:
    """Publish the agenda: the panel is told of each case on it (ids only, by notification)."""
    return await meetings.publish_agenda(pool, keyring, principal=principal, meeting_id=meeting_id)


@meetings_router.put("/{meeting_id}/attendance")
async def record_attendance(
    meeting_id: UUID, body: AttendanceCreate, principal: Chair, pool: PoolDep, keyring: KeyringDep
) -> MeetingRead:
    """Who attended, for which agency, and the conflicts of interest they declared."""
    return await meetings.record_attendance(
        pool, keyring, principal=principal, meeting_id=meeting_id, body=body
    )
