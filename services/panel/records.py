"""SQL of the panel's own records: panels, meetings, requests, assessments, steps, contacts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from safeguard.db.pool import Connection
from safeguard.fieldcrypt.envelope import DataKey
from safeguard.fieldcrypt.keyring import Keyring, destroy_data_key
from safeguard.personal import personal_fields
from services.panel.models import (
    AssessmentCreate,
    ConflictIn,
    ContactCreate,
    FactorIn,
    InformationReplyCreate,
    InformationRequestCreate,
)
from services.panel.sealing import SERVICE, opened, opened_detail, place, readers, writer
from workflows.referral.transitions import scrub

# A row with its sealed free text opened (the column names stay those of the table).
Row = dict[str, Any]

# --- panels and meetings --------------------------------------------------------------------


async def create_panel(
    conn: Connection, *, panel_id: UUID, area: str, name: str, created_by: str
) -> None:
    """A new panel."""
    await conn.execute(
        "INSERT INTO panel.panels (id, area, name, created_by) VALUES ($1, $2, $3, $4)",
        panel_id,
        area,
        name,
        created_by,
    )


async def put_member(
    conn: Connection, *, panel_id: UUID, subject: str, agency: str, added_by: str
) -> None:
    """Seat a member on a panel (again: their agency is updated)."""
    await conn.execute(
        "INSERT INTO panel.members (panel_id, subject, agency, added_by) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (panel_id, subject) DO UPDATE SET agency = EXCLUDED.agency",
        panel_id,
        subject,
        agency,
        added_by,
    )


async def remove_member(conn: Connection, *, panel_id: UUID, subject: str) -> bool:
    """Unseat a member; whether they sat on the panel."""
    done = await conn.execute(
        "DELETE FROM panel.members WHERE panel_id = $1 AND subject = $2", panel_id, subject
    )
    return bool(done != "DELETE 0")


async def get_panel(conn: Connection, panel_id: UUID) -> asyncpg.Record | None:
    """A panel row."""
    return await conn.fetchrow("SELECT * FROM panel.panels WHERE id = $1", panel_id)


async def panel_members(conn: Connection, panel_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """Members of the given panels."""
    return await conn.fetch(
        "SELECT * FROM panel.members WHERE panel_id = ANY($1::uuid[]) ORDER BY added_at, subject",
        list(panel_ids),
    )


async def list_panels(
    conn: Connection, *, areas: Sequence[str] | None, member: str | None
) -> list[asyncpg.Record]:
    """Panels of the given areas (None: all), or only those `member` sits on."""
    return await conn.fetch(
        "SELECT p.* FROM panel.panels p WHERE ($1::text[] IS NULL OR p.area = ANY($1::text[]))"
        " AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM panel.members m"
        " WHERE m.panel_id = p.id AND m.subject = $2)) ORDER BY p.created_at, p.id",
        None if areas is None else list(areas),
        member,
    )


async def is_member(conn: Connection, *, panel_id: UUID, subject: str) -> bool:
    """Whether `subject` sits on the panel."""
    found = await conn.fetchval(
        "SELECT 1 FROM panel.members WHERE panel_id = $1 AND subject = $2", panel_id, subject
    )
    return found is not None


async def create_meeting(
    conn: Connection, *, meeting_id: UUID, panel_id: UUID, scheduled_for: datetime, by: str
) -> None:
    """A new meeting of a panel."""
    await conn.execute(
        "INSERT INTO panel.meetings (id, panel_id, scheduled_for, created_by)"
        " VALUES ($1, $2, $3, $4)",
        meeting_id,
        panel_id,
        scheduled_for,
        by,
    )


async def get_meeting(
    conn: Connection, meeting_id: UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    """A meeting with its panel's area; `lock` serialises agenda and attendance changes."""
    suffix = " FOR UPDATE OF m" if lock else ""
    return await conn.fetchrow(
        "SELECT m.*, p.area FROM panel.meetings m JOIN panel.panels p ON p.id = m.panel_id"  # noqa: S608 - fixed suffix
        f" WHERE m.id = $1{suffix}",
        meeting_id,
    )


async def panel_meetings(conn: Connection, panel_id: UUID) -> list[asyncpg.Record]:
    """A panel's meetings, soonest first, with how many cases each agenda holds."""
    return await conn.fetch(
        "SELECT m.id, m.panel_id, m.scheduled_for, m.agenda_published_at,"
        " m.attendance_recorded_at, count(ai.referral_id) AS agenda_size"
        " FROM panel.meetings m LEFT JOIN panel.agenda_items ai ON ai.meeting_id = m.id"
        " WHERE m.panel_id = $1 GROUP BY m.id ORDER BY m.scheduled_for, m.id",
        panel_id,
    )


async def publish_agenda(conn: Connection, meeting_id: UUID) -> None:
    """Mark the agenda published (again: the latest publication is kept)."""
    await conn.execute(
        "UPDATE panel.meetings SET agenda_published_at = now() WHERE id = $1", meeting_id
    )


async def add_agenda_item(
    conn: Connection, *, meeting_id: UUID, referral_id: UUID, added_by: str
) -> None:
    """Put a case on the agenda, last (once)."""
    await conn.execute(
        "INSERT INTO panel.agenda_items (meeting_id, referral_id, position, added_by)"
        " SELECT $1, $2, coalesce(max(position) + 1, 0), $3 FROM panel.agenda_items"
        " WHERE meeting_id = $1 ON CONFLICT (meeting_id, referral_id) DO NOTHING",
        meeting_id,
        referral_id,
        added_by,
    )


async def agenda(conn: Connection, meeting_id: UUID) -> list[asyncpg.Record]:
    """The cases on a meeting's agenda, in order."""
    return await conn.fetch(
        "SELECT c.referral_id, c.reference, c.stage, ai.position FROM panel.agenda_items ai"
        " JOIN panel.cases c ON c.referral_id = ai.referral_id WHERE ai.meeting_id = $1"
        " ORDER BY ai.position",
        meeting_id,
    )


async def set_attendance(
    conn: Connection,
    keyring: Keyring,
    *,
    meeting_id: UUID,
    attendees: Sequence[tuple[str, str]],
    conflicts: Sequence[tuple[str, UUID | None, str]],
) -> None:
    """Record who attended and the conflicts they declared (replacing an earlier record)."""
    await conn.execute("DELETE FROM panel.attendees WHERE meeting_id = $1", meeting_id)
    await conn.execute("DELETE FROM panel.conflicts WHERE meeting_id = $1", meeting_id)
    await conn.executemany(
        "INSERT INTO panel.attendees (meeting_id, attendee_id, agency) VALUES ($1, $2, $3)",
        [(meeting_id, attendee, agency) for attendee, agency in attendees],
    )
    sealed = []
    for attendee, case, text in conflicts:
        key = await writer(conn, keyring, case or meeting_id)
        where = place("conflicts", "description", _conflict_row(meeting_id, attendee, case))
        sealed.append((meeting_id, attendee, case, key.seal_text(text, where)))
    await conn.executemany(
        "INSERT INTO panel.conflicts (meeting_id, attendee_id, referral_id, description)"
        " VALUES ($1, $2, $3, $4)",
        sealed,
    )
    await conn.execute(
        "UPDATE panel.meetings SET attendance_recorded_at = now() WHERE id = $1", meeting_id
    )


async def attendees(conn: Connection, meeting_id: UUID) -> list[asyncpg.Record]:
    """Who attended a meeting."""
    return await conn.fetch(
        "SELECT attendee_id AS id, agency FROM panel.attendees WHERE meeting_id = $1"
        " ORDER BY attendee_id",
        meeting_id,
    )


async def conflicts(conn: Connection, keyring: Keyring, meeting_id: UUID) -> list[Row]:
    """Conflicts declared at a meeting, with the case each concerns."""
    rows = await conn.fetch(
        "SELECT x.attendee_id, x.referral_id, c.reference, x.description FROM panel.conflicts x"
        " LEFT JOIN panel.cases c ON c.referral_id = x.referral_id WHERE x.meeting_id = $1"
        " ORDER BY x.id",
        meeting_id,
    )
    keys = await readers(conn, keyring, [r["referral_id"] or meeting_id for r in rows])
    return [
        dict(r)
        | {
            "description": opened(
                keys[r["referral_id"] or meeting_id],
                r["description"],
                place(
                    "conflicts",
                    "description",
                    _conflict_row(meeting_id, r["attendee_id"], r["referral_id"]),
                ),
            )
        }
        for r in rows
    ]


def _conflict_row(meeting_id: UUID, attendee: str, case: UUID | None) -> str:
    # Conflicts are replaced as a whole with the attendance: their serial ids are not stable.
    return f"{meeting_id}/{attendee}/{case or '-'}"


async def meetings_of_case(conn: Connection, referral_id: UUID) -> list[UUID]:
    """Meetings whose agenda has the case."""
    rows = await conn.fetch(
        "SELECT meeting_id FROM panel.agenda_items WHERE referral_id = $1", referral_id
    )
    return [row["meeting_id"] for row in rows]


async def case_meetings(conn: Connection, referral_id: UUID) -> list[asyncpg.Record]:
    """The meetings whose agenda has the case, earliest first, with whether they took place."""
    return list(
        await conn.fetch(
            "SELECT m.id, m.panel_id, m.scheduled_for, m.agenda_published_at,"
            " m.attendance_recorded_at,"
            " (SELECT count(*) FROM panel.attendees a WHERE a.meeting_id = m.id) AS attendees"
            " FROM panel.agenda_items ai JOIN panel.meetings m ON m.id = ai.meeting_id"
            " WHERE ai.referral_id = $1 ORDER BY m.scheduled_for, m.id",
            referral_id,
        )
    )


# --- information requests and vulnerability assessments -------------------------------------


async def add_request(
    conn: Connection,
    keyring: Keyring,
    *,
    request_id: UUID,
    referral_id: UUID,
    agency: str,
    question: str,
    due_by: date | None,
    by: str,
) -> None:
    """A request for information to a partner agency."""
    key = await writer(conn, keyring, referral_id)
    await conn.execute(
        "INSERT INTO panel.information_requests"
        " (id, referral_id, agency, question, due_by, requested_by)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        request_id,
        referral_id,
        agency,
        key.seal_text(question, place("information_requests", "question", request_id)),
        due_by,
        by,
    )


async def get_request(
    conn: Connection, keyring: Keyring, request_id: UUID, *, lock: bool = False
) -> Row | None:
    """One information request."""
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(
        f"SELECT * FROM panel.information_requests WHERE id = $1{suffix}",  # noqa: S608 - fixed
        request_id,
    )
    return (await _opened_requests(conn, keyring, [row]))[0] if row else None


async def reply_request(
    conn: Connection, keyring: Keyring, *, request: Row, reply: str, by: str
) -> None:
    """Record the agency's reply."""
    key = await writer(conn, keyring, request["referral_id"])
    await conn.execute(
        "UPDATE panel.information_requests SET reply = $2, replied_by = $3, replied_at = now()"
        " WHERE id = $1",
        request["id"],
        key.seal_text(reply, place("information_requests", "reply", request["id"])),
        by,
    )


async def requests_for_case(conn: Connection, keyring: Keyring, referral_id: UUID) -> list[Row]:
    """A case's information requests, oldest first."""
    rows = await conn.fetch(
        "SELECT * FROM panel.information_requests WHERE referral_id = $1 ORDER BY requested_at, id",
        referral_id,
    )
    return await _opened_requests(conn, keyring, rows)


async def _opened_requests(
    conn: Connection, keyring: Keyring, rows: Sequence[asyncpg.Record]
) -> list[Row]:
    keys = await readers(conn, keyring, [row["referral_id"] for row in rows])
    return [
        dict(row)
        | {
            column: opened(
                keys[row["referral_id"]],
                row[column],
                place("information_requests", column, row["id"]),
            )
            for column in ("question", "reply")
        }
        for row in rows
    ]


async def add_assessment(
    conn: Connection,
    keyring: Keyring,
    *,
    assessment_id: UUID,
    referral_id: UUID,
    meeting_id: UUID | None,
    summary: str | None,
    by: str,
    ratings: Sequence[tuple[str, str, str, str | None]],
) -> None:
    """A vulnerability assessment and its ratings (factor, dimension, rating, notes)."""
    key = await writer(conn, keyring, referral_id)
    await conn.execute(
        "INSERT INTO panel.vulnerability_assessments"
        " (id, referral_id, meeting_id, summary, assessed_by) VALUES ($1, $2, $3, $4, $5)",
        assessment_id,
        referral_id,
        meeting_id,
        key.seal_text(summary, place("vulnerability_assessments", "summary", assessment_id)),
        by,
    )
    await conn.executemany(
        "INSERT INTO panel.factor_ratings (assessment_id, factor, dimension, rating, notes)"
        " VALUES ($1, $2, $3, $4, $5)",
        [
            (
                assessment_id,
                factor,
                dimension,
                rating,
                key.seal_text(notes, place("factor_ratings", "notes", f"{assessment_id}/{factor}")),
            )
            for factor, dimension, rating, notes in ratings
        ],
    )


async def assessments_for_case(
    conn: Connection, keyring: Keyring, referral_id: UUID
) -> list[tuple[Row, list[Row]]]:
    """A case's assessments, oldest first, each with its ratings."""
    heads = await conn.fetch(
        "SELECT * FROM panel.vulnerability_assessments WHERE referral_id = $1"
        " ORDER BY assessed_at, id",
        referral_id,
    )
    ratings = await conn.fetch(
        "SELECT * FROM panel.factor_ratings WHERE assessment_id = ANY($1::uuid[])",
        [head["id"] for head in heads],
    )
    key = (await readers(conn, keyring, [referral_id]))[referral_id]
    return [
        (
            dict(head)
            | {
                "summary": opened(
                    key, head["summary"], place("vulnerability_assessments", "summary", head["id"])
                )
            },
            [_opened_rating(key, r) for r in ratings if r["assessment_id"] == head["id"]],
        )
        for head in heads
    ]


def _opened_rating(key: DataKey | None, rating: asyncpg.Record) -> Row:
    where = place("factor_ratings", "notes", f"{rating['assessment_id']}/{rating['factor']}")
    return dict(rating) | {"notes": opened(key, rating["notes"], where)}


# --- steps submitted to the workflow --------------------------------------------------------


async def add_action(
    conn: Connection,
    keyring: Keyring,
    *,
    referral_id: UUID,
    action: str,
    actor: str,
    role: str,
    stage_after: str,
    plan_revision: int,
    meeting_id: UUID | None,
    detail: dict[str, Any],
) -> None:
    """Keep a step the workflow accepted, as the panel's record of it.

    The whole detail is sealed; only its codes stay in clear, for queries and for the record
    that outlives erasure.
    """
    key = await writer(conn, keyring, referral_id)
    # The id first: the sealed detail is bound to its row.
    action_id = await conn.fetchval("SELECT nextval('panel.case_actions_id_seq')")
    await conn.execute(
        "INSERT INTO panel.case_actions (id, referral_id, action, actor, role, stage_after,"
        " plan_revision, meeting_id, detail, detail_sealed)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        action_id,
        referral_id,
        action,
        actor,
        role,
        stage_after,
        plan_revision,
        meeting_id,
        codes_of(detail),
        key.seal_json(detail, place("case_actions", "detail", action_id)),
    )


async def actions_for_case(
    conn: Connection, keyring: Keyring, referral_id: UUID, actions: Sequence[str]
) -> list[Row]:
    """The case's recorded steps of the given kinds, oldest first, their detail opened."""
    rows = await conn.fetch(
        "SELECT * FROM panel.case_actions WHERE referral_id = $1 AND action = ANY($2::text[])"
        " ORDER BY id",
        referral_id,
        list(actions),
    )
    key = (await readers(conn, keyring, [referral_id]))[referral_id]
    return [
        dict(row) | {"detail": opened_detail(key, row["id"], row["detail"], row["detail_sealed"])}
        for row in rows
    ]


# --- plan items and providers' contacts -----------------------------------------------------

_ITEM_COLUMNS = (
    "i.item_id, i.referral_id, c.reference, c.stage, i.revision, i.position, i.intervention,"
    " i.provider_id, i.revision = c.plan_revision AS current"
)


async def items_for_case(conn: Connection, referral_id: UUID) -> list[asyncpg.Record]:
    """Every plan item of a case, by revision and position."""
    return await conn.fetch(
        f"SELECT {_ITEM_COLUMNS} FROM panel.plan_items i"  # noqa: S608 - fixed columns
        " JOIN panel.cases c ON c.referral_id = i.referral_id WHERE i.referral_id = $1"
        " ORDER BY i.revision, i.position",
        referral_id,
    )


async def items_for_provider(
    conn: Connection, *, provider_id: str, current_only: bool
) -> list[asyncpg.Record]:
    """A provider's plan items (those of each case's current revision, unless asked)."""
    return await conn.fetch(
        f"SELECT {_ITEM_COLUMNS} FROM panel.plan_items i"  # noqa: S608 - fixed columns
        " JOIN panel.cases c ON c.referral_id = i.referral_id WHERE i.provider_id = $1"
        " AND (NOT $2 OR i.revision = c.plan_revision)"
        " ORDER BY c.reference, i.revision, i.position",
        provider_id,
        current_only,
    )


async def item(conn: Connection, item_id: UUID) -> asyncpg.Record | None:
    """One plan item with its case's stage."""
    return await conn.fetchrow(
        f"SELECT {_ITEM_COLUMNS} FROM panel.plan_items i"  # noqa: S608 - fixed columns
        " JOIN panel.cases c ON c.referral_id = i.referral_id WHERE i.item_id = $1",
        item_id,
    )


async def add_contact(
    conn: Connection,
    keyring: Keyring,
    *,
    contact_id: UUID,
    item_id: UUID,
    referral_id: UUID,
    provider_id: str,
    held_on: date,
    kind: str,
    attended: bool,
    notes: str | None,
    by: str,
) -> None:
    """A provider's contact against one of their items."""
    key = await writer(conn, keyring, referral_id)
    await conn.execute(
        "INSERT INTO panel.item_contacts (id, item_id, referral_id, provider_id, held_on, kind,"
        " attended, notes, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        contact_id,
        item_id,
        referral_id,
        provider_id,
        held_on,
        kind,
        attended,
        key.seal_text(notes, place("item_contacts", "notes", contact_id)),
        by,
    )


async def contacts(conn: Connection, keyring: Keyring, item_ids: Sequence[UUID]) -> list[Row]:
    """Contacts recorded against the given items, oldest first."""
    rows = await conn.fetch(
        "SELECT * FROM panel.item_contacts WHERE item_id = ANY($1::uuid[])"
        " ORDER BY held_on, recorded_at",
        list(item_ids),
    )
    keys = await readers(conn, keyring, [row["referral_id"] for row in rows])
    return [
        dict(row)
        | {
            "notes": opened(
                keys[row["referral_id"]], row["notes"], place("item_contacts", "notes", row["id"])
            )
        }
        for row in rows
    ]


# --- erasure --------------------------------------------------------------------------------


# Each table holding a case's free text, which rows are the case's, and the input models whose
# fields it stores: the columns erased are those the models declare personal.
_ERASED = (
    (
        "information_requests",
        "referral_id = $1",
        (InformationRequestCreate, InformationReplyCreate),
    ),
    ("vulnerability_assessments", "referral_id = $1", (AssessmentCreate,)),
    (
        "factor_ratings",
        "assessment_id IN (SELECT id FROM panel.vulnerability_assessments WHERE referral_id = $1)",
        (FactorIn,),
    ),
    ("item_contacts", "referral_id = $1", (ContactCreate,)),
    ("conflicts", "referral_id = $1", (ConflictIn,)),
)


def personal_columns() -> list[tuple[str, str, list[str]]]:
    """Each table (schema-qualified), the condition that picks a case's rows (`$1`, its id),
    and the columns the models declare personal."""
    return [
        (f"panel.{table}", where, sorted({n for m in models for n in personal_fields(m)}))
        for table, where, models in _ERASED
    ]


def erasing_statements() -> list[str]:
    """The statements that empty the personal columns of a case's rows (`$1`, its id)."""
    return [
        f"UPDATE {table} SET {', '.join(f'{c} = NULL' for c in columns)} WHERE {where}"  # noqa: S608 - names from our models
        for table, where, columns in personal_columns()
    ]


async def erase_case(conn: Connection, referral_id: UUID) -> None:
    """Retention ended: drop the free text of the case's records; ids, codes and dates stay."""
    for statement in erasing_statements():
        await conn.execute(statement, referral_id)
    # Steps keep their codes, numbers and dates, as the workflow's own scrubbed decisions do.
    rows = await conn.fetch(
        "SELECT id, detail FROM panel.case_actions WHERE referral_id = $1", referral_id
    )
    await conn.executemany(
        "UPDATE panel.case_actions SET detail = $2, detail_sealed = NULL WHERE id = $1",
        [(row["id"], codes_of(row["detail"])) for row in rows],
    )
    # Copies of the sealed text in backups die with the key (README, "Personal data at rest").
    await destroy_data_key(conn, service=SERVICE, owner=referral_id)


def codes_of(detail: dict[str, Any]) -> dict[str, Any]:
    """A step's detail without free text: what stays in clear, and after erasure."""
    kept: dict[str, Any] = scrub(detail)
    return kept
