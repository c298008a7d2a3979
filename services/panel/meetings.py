"""Panels, their members and meetings: agendas, attendance and declared conflicts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from safeguard.access_log import record_read
from safeguard.audit.actions import record_action
from safeguard.auth.staff import StaffPrincipal
from safeguard.codes import Role
from safeguard.db.pool import Connection, Pool
from safeguard.errors import ProblemError
from safeguard.events import contracts as ev
from safeguard.fieldcrypt.keyring import Keyring
from services.panel import records, store
from services.panel.access import SERVICE, sees_area, visible_areas
from services.panel.cases import refuse_if_ended
from services.panel.models import (
    AgendaItemRead,
    AttendanceCreate,
    AttendeeIn,
    ConflictRead,
    MeetingListed,
    MeetingRead,
    MemberRead,
    PanelCreate,
    PanelRead,
)
from services.panel.notices import tell_agenda
from workflows.referral.actions import Attendee, Conflict

MEETING_FIELDS = ("meeting.agenda", "meeting.attendees", "meeting.conflicts")


def _unknown_panel(panel_id: UUID) -> ProblemError:
    return ProblemError(404, "Unknown panel", "No panel with that id that you may see.")


def _unknown_meeting(meeting_id: UUID) -> ProblemError:
    return ProblemError(404, "Unknown meeting", "No meeting with that id that you may see.")


def _own_area(principal: StaffPrincipal, area: str) -> None:
    if not sees_area(principal, area):
        raise ProblemError(403, "Area not permitted", "Your token does not cover that area.")


async def _may_see_panel(conn: Connection, principal: StaffPrincipal, panel: Any) -> bool:
    if principal.role is Role.PANEL_MEMBER:
        return await records.is_member(conn, panel_id=panel["id"], subject=principal.subject)
    return sees_area(principal, panel["area"])


async def _panel_view(conn: Connection, panels: list[asyncpg.Record]) -> list[PanelRead]:
    members = await records.panel_members(conn, [p["id"] for p in panels])
    return [
        PanelRead(
            id=p["id"],
            area=p["area"],
            name=p["name"],
            created_at=p["created_at"],
            members=[
                MemberRead.model_validate(dict(m)) for m in members if m["panel_id"] == p["id"]
            ],
        )
        for p in panels
    ]


async def create_panel(pool: Pool, *, principal: StaffPrincipal, body: PanelCreate) -> PanelRead:
    """A panel in one of the chair's areas, with its first members."""
    _own_area(principal, body.area)
    panel_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await records.create_panel(
            conn, panel_id=panel_id, area=body.area, name=body.name, created_by=principal.subject
        )
        for member in body.members:
            await records.put_member(
                conn,
                panel_id=panel_id,
                subject=member.subject,
                agency=member.agency,
                added_by=principal.subject,
            )
        # A new panel has no case yet: the entry stands alone; each case's entries name the
        # members seated when it came to the panel (see _case_came).
        await record_action(
            conn,
            principal,
            "panel.panel_created",
            [],
            panel_id=panel_id,
            area=body.area,
            members=[{"subject": m.subject, "agency": m.agency} for m in body.members],
        )
        return (await _panel_view(conn, [await _panel(conn, principal, panel_id)]))[0]


async def _seating_changed(
    conn: Connection, principal: StaffPrincipal, action: str, panel_id: UUID, subject: str
) -> None:
    """Log a seat taken or given up on every case its holder gains or loses sight of."""
    await record_action(
        conn,
        principal,
        action,
        await store.seen_through_panel(conn, panel_id),
        panel_id=panel_id,
        subject=subject,
    )


async def _panel(conn: Connection, principal: StaffPrincipal, panel_id: UUID) -> asyncpg.Record:
    panel = await records.get_panel(conn, panel_id)
    if panel is None or not await _may_see_panel(conn, principal, panel):
        raise _unknown_panel(panel_id)
    return panel


async def list_panels(pool: Pool, *, principal: StaffPrincipal) -> list[PanelRead]:
    """Panels of the caller's areas; for a panel member, the panels they sit on."""
    member = principal.subject if principal.role is Role.PANEL_MEMBER else None
    areas = None if member else visible_areas(principal)
    async with pool.acquire() as conn:
        return await _panel_view(conn, await records.list_panels(conn, areas=areas, member=member))


async def read_panel(pool: Pool, *, principal: StaffPrincipal, panel_id: UUID) -> PanelRead:
    """One panel and its members."""
    async with pool.acquire() as conn:
        return (await _panel_view(conn, [await _panel(conn, principal, panel_id)]))[0]


async def put_member(
    pool: Pool, *, principal: StaffPrincipal, panel_id: UUID, subject: str, agency: str
) -> PanelRead:
    """Seat (or re-seat) a member."""
    async with pool.acquire() as conn, conn.transaction():
        await _panel(conn, principal, panel_id)
        await records.put_member(
            conn, panel_id=panel_id, subject=subject, agency=agency, added_by=principal.subject
        )
        await _seating_changed(conn, principal, "panel.member_seated", panel_id, subject)
        return (await _panel_view(conn, [await _panel(conn, principal, panel_id)]))[0]


async def remove_member(
    pool: Pool, *, principal: StaffPrincipal, panel_id: UUID, subject: str
) -> PanelRead:
    """Unseat a member: they no longer see the panel's agendas."""
    async with pool.acquire() as conn, conn.transaction():
        await _panel(conn, principal, panel_id)
        if not await records.remove_member(conn, panel_id=panel_id, subject=subject):
            raise ProblemError(404, "Unknown member", "No one of that name sits on this panel.")
        await _seating_changed(conn, principal, "panel.member_removed", panel_id, subject)
        return (await _panel_view(conn, [await _panel(conn, principal, panel_id)]))[0]


async def list_meetings(
    pool: Pool, *, principal: StaffPrincipal, panel_id: UUID
) -> list[MeetingListed]:
    """A panel's meetings (counts, not cases: the agenda itself is read per meeting)."""
    async with pool.acquire() as conn:
        await _panel(conn, principal, panel_id)
        rows = await records.panel_meetings(conn, panel_id)
    return [MeetingListed.model_validate(dict(r)) for r in rows]


async def create_meeting(
    pool: Pool,
    keyring: Keyring,
    *,
    principal: StaffPrincipal,
    panel_id: UUID,
    scheduled_for: datetime,
    agenda: list[str],
) -> MeetingRead:
    """A meeting of a panel, with the cases on its agenda."""
    meeting_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        panel = await _panel(conn, principal, panel_id)
        await records.create_meeting(
            conn,
            meeting_id=meeting_id,
            panel_id=panel_id,
            scheduled_for=scheduled_for,
            by=principal.subject,
        )
        for reference in agenda:
            await _add_case(conn, principal, panel["area"], meeting_id, reference)
        on_agenda = [r["referral_id"] for r in await records.agenda(conn, meeting_id)]
        # The panel is told of the meeting for each case it will consider.
        await tell_agenda(
            conn,
            kind=ev.MeetingScheduled,
            principal=principal,
            meeting_id=meeting_id,
            referral_ids=on_agenda,
        )
        await _case_came(conn, principal, "panel.meeting_created", meeting_id, on_agenda)
        return await _meeting_view(conn, keyring, meeting_id)


async def _add_case(
    conn: Connection, principal: StaffPrincipal, area: str, meeting_id: UUID, reference: str
) -> UUID:
    case = await store.case_by_reference(conn, reference)
    # A case of another area is answered as unknown: the agenda must not probe other areas.
    if case is None or case["area"] != area or not sees_area(principal, case["area"]):
        raise ProblemError(
            422,
            "Case not in this panel's area",
            "No case with that reference in this panel's area.",
        )
    refuse_if_ended(case)
    await records.add_agenda_item(
        conn, meeting_id=meeting_id, referral_id=case["referral_id"], added_by=principal.subject
    )
    referral_id: UUID = case["referral_id"]
    return referral_id


async def _meeting(
    conn: Connection, principal: StaffPrincipal, meeting_id: UUID, *, lock: bool = False
) -> asyncpg.Record:
    meeting = await records.get_meeting(conn, meeting_id, lock=lock)
    if meeting is None:
        raise _unknown_meeting(meeting_id)
    if principal.role is Role.PANEL_MEMBER:
        seen = await records.is_member(
            conn, panel_id=meeting["panel_id"], subject=principal.subject
        )
    else:
        seen = sees_area(principal, meeting["area"])
    if not seen:
        raise _unknown_meeting(meeting_id)
    return meeting


async def _meeting_view(conn: Connection, keyring: Keyring, meeting_id: UUID) -> MeetingRead:
    meeting = await records.get_meeting(conn, meeting_id)
    assert meeting is not None  # noqa: S101 - the caller has just read or written it
    return MeetingRead(
        id=meeting["id"],
        panel_id=meeting["panel_id"],
        area=meeting["area"],
        scheduled_for=meeting["scheduled_for"],
        agenda=[
            AgendaItemRead.model_validate(dict(r)) for r in await records.agenda(conn, meeting_id)
        ],
        attendees=[
            AttendeeIn.model_validate(dict(r)) for r in await records.attendees(conn, meeting_id)
        ],
        conflicts=[
            ConflictRead.model_validate(r)
            for r in await records.conflicts(conn, keyring, meeting_id)
        ],
        attendance_recorded_at=meeting["attendance_recorded_at"],
        agenda_published_at=meeting["agenda_published_at"],
    )


async def read_meeting(
    pool: Pool, keyring: Keyring, *, principal: StaffPrincipal, meeting_id: UUID, purpose: str
) -> MeetingRead:
    """A meeting with its agenda; the read is logged (the agenda names cases)."""
    async with pool.acquire() as conn, conn.transaction():
        await _meeting(conn, principal, meeting_id)
        view = await _meeting_view(conn, keyring, meeting_id)
        await record_read(
            conn,
            service=SERVICE,
            principal=principal,
            referral_id=None,
            fields=MEETING_FIELDS,
            purpose=purpose,
        )
    return view


async def add_to_agenda(
    pool: Pool, keyring: Keyring, *, principal: StaffPrincipal, meeting_id: UUID, reference: str
) -> MeetingRead:
    """Put a case of the panel's area on the agenda."""
    async with pool.acquire() as conn, conn.transaction():
        meeting = await _meeting(conn, principal, meeting_id, lock=True)
        before = {r["referral_id"] for r in await records.agenda(conn, meeting_id)}
        added = await _add_case(conn, principal, meeting["area"], meeting_id, reference)
        if added not in before:
            await _case_came(conn, principal, "panel.agenda_item_added", meeting_id, [added])
        if meeting["agenda_published_at"] is not None and added not in before:
            # A case added after publication is told to the panel as the agenda now stands.
            await tell_agenda(
                conn,
                kind=ev.AgendaPublished,
                principal=principal,
                meeting_id=meeting_id,
                referral_ids=[added],
            )
        return await _meeting_view(conn, keyring, meeting_id)


async def publish_agenda(
    pool: Pool, keyring: Keyring, *, principal: StaffPrincipal, meeting_id: UUID
) -> MeetingRead:
    """Publish the agenda to the panel: each case on it is told (the members are notified)."""
    async with pool.acquire() as conn, conn.transaction():
        await _meeting(conn, principal, meeting_id, lock=True)
        on_agenda = [r["referral_id"] for r in await records.agenda(conn, meeting_id)]
        if not on_agenda:
            raise ProblemError(
                422, "The agenda is empty", "Put at least one case on the agenda first."
            )
        await records.publish_agenda(conn, meeting_id)
        await tell_agenda(
            conn,
            kind=ev.AgendaPublished,
            principal=principal,
            meeting_id=meeting_id,
            referral_ids=on_agenda,
        )
        await record_action(
            conn, principal, "panel.agenda_published", on_agenda, meeting_id=meeting_id
        )
        return await _meeting_view(conn, keyring, meeting_id)


async def record_attendance(
    pool: Pool,
    keyring: Keyring,
    *,
    principal: StaffPrincipal,
    meeting_id: UUID,
    body: AttendanceCreate,
) -> MeetingRead:
    """Who attended and their declared conflicts; a conflict names a case on the agenda."""
    ids = [a.id for a in body.attendees]
    if len(set(ids)) != len(ids):
        raise ProblemError(422, "Invalid attendance", "An attendee is listed twice.")
    if any(c.attendee_id not in ids for c in body.conflicts):
        raise ProblemError(422, "Invalid attendance", "A conflict names someone not attending.")
    async with pool.acquire() as conn, conn.transaction():
        await _meeting(conn, principal, meeting_id, lock=True)
        on_agenda = {
            r["reference"]: r["referral_id"] for r in await records.agenda(conn, meeting_id)
        }
        if any(c.reference is not None and c.reference not in on_agenda for c in body.conflicts):
            raise ProblemError(
                422, "Invalid attendance", "A conflict names a case not on the agenda."
            )
        await records.set_attendance(
            conn,
            keyring,
            meeting_id=meeting_id,
            attendees=[(a.id, a.agency) for a in body.attendees],
            conflicts=[
                (c.attendee_id, on_agenda[c.reference] if c.reference else None, c.description)
                for c in body.conflicts
            ],
        )
        await _attendance_logged(conn, principal, meeting_id, body, on_agenda)
        return await _meeting_view(conn, keyring, meeting_id)


async def _attendance_logged(
    conn: Connection,
    principal: StaffPrincipal,
    meeting_id: UUID,
    body: AttendanceCreate,
    on_agenda: dict[str, UUID],
) -> None:
    """Who attended, on each case's timeline, with who declared a conflict on that case (or
    on the whole meeting); what they declared is free text, kept in the panel's record only."""
    attendees = [{"id": a.id, "agency": a.agency} for a in body.attendees]
    for reference, referral_id in on_agenda.items():
        await record_action(
            conn,
            principal,
            "panel.attendance_recorded",
            [referral_id],
            meeting_id=meeting_id,
            attendees=attendees,
            conflicts=sorted(
                {c.attendee_id for c in body.conflicts if c.reference in (None, reference)}
            ),
        )


async def _case_came(
    conn: Connection,
    principal: StaffPrincipal,
    action: str,
    meeting_id: UUID,
    referral_ids: list[UUID],
) -> None:
    """Log cases put before a panel, with the members who see them from now on (the panel's
    creation and earlier seatings predate the case, so its own entries name them)."""
    meeting = await records.get_meeting(conn, meeting_id)
    assert meeting is not None  # noqa: S101 - the caller has just written it
    members = await records.panel_members(conn, [meeting["panel_id"]])
    await record_action(
        conn,
        principal,
        action,
        referral_ids,
        meeting_id=meeting_id,
        panel_id=meeting["panel_id"],
        scheduled_for=meeting["scheduled_for"],
        members=[{"subject": m["subject"], "agency": m["agency"]} for m in members],
    )


async def decision_context(
    pool: Pool, keyring: Keyring, *, principal: StaffPrincipal, meeting_id: UUID, reference: str
) -> tuple[list[Attendee], list[Conflict]]:
    """Attendees and the conflicts relevant to a case, from the meeting that considered it."""
    async with pool.acquire() as conn:
        meeting = await _meeting(conn, principal, meeting_id)
        agenda = {r["reference"] for r in await records.agenda(conn, meeting_id)}
        if reference not in agenda:
            raise ProblemError(
                422, "Not on the agenda", "The case is not on this meeting's agenda."
            )
        # A decision comes from a meeting that has taken place, with who attended it.
        if meeting["scheduled_for"] > datetime.now(UTC):
            raise ProblemError(
                422,
                "Meeting not yet held",
                f"The meeting is scheduled for {meeting['scheduled_for']:%Y-%m-%d %H:%M} UTC;"
                " record its decisions once it has taken place.",
            )
        if meeting["attendance_recorded_at"] is None:
            raise ProblemError(
                422, "Attendance not recorded", "Record who attended the meeting first."
            )
        attendees = await records.attendees(conn, meeting_id)
        declared = await records.conflicts(conn, keyring, meeting_id)
    return (
        [Attendee(id=r["id"], agency=r["agency"]) for r in attendees],
        [
            Conflict(
                attendee_id=r["attendee_id"],
                description=r["description"] or "declared",
                reference=r["reference"],
            )
            for r in declared
            if r["reference"] in (None, reference)
        ],
    )
