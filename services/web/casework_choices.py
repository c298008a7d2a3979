"""What a chair's casework form offers for one case, and why it offers nothing when it cannot.

The panel decision names a meeting that has taken place with its attendance recorded; a
post-exit review is one of the case policy's reviews whose window has opened; the reassessment
period says what applies until the panel chooses. The page offers only what the API would
accept now. What is sent is checked against everything the case has (a meeting whose time
came, a review due), so anything the page could not foresee is the API's to refuse, and its
problem is what the chair reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.web.decisions import Decision
from services.web.pages import govuk_date

MEETING_FIELD = "meeting_id"
MONTHS_FIELD = "months"
DAYS_FIELD = "days"
NO_MEETINGS = "No meeting has this case on its agenda yet: schedule one from your panel's page."
IN_REVIEWS = "POST_EXIT_REVIEW"
UNLOADED = "The case's reviews could not be loaded just now. Try again in a few minutes."


@dataclass(frozen=True)
class Unavailable:
    """Why the form cannot be filled in now (paragraphs), and where to go instead."""

    text: tuple[str, ...]
    links: tuple[tuple[str, str], ...] = ()  # (href, text)


@dataclass(frozen=True)
class CaseForm:
    """A form for one case: as offered on the page, and as checked before it is sent."""

    offered: Decision
    sent: Decision
    unavailable: Unavailable | None = None


def _with_options(
    decision: Decision, name: str, options: Sequence[tuple[str, str]], hint: str | None = None
) -> Decision:
    fields = tuple(
        replace(f, options=tuple(options), hint=hint or f.hint) if f.name == name else f
        for f in decision.fields
    )
    return replace(decision, fields=fields)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- meetings -----------------------------------------------------------------------------


def held(meeting: Mapping[str, Any], now: datetime) -> bool:
    """Whether the meeting has taken place with its attendance recorded, as a decision needs."""
    return meeting["attendance_recorded_at"] is not None and _at(meeting["scheduled_for"]) <= now


def meeting_option(meeting: Mapping[str, Any]) -> tuple[str, str]:
    """A meeting as a choice: when, and how many attended once that is on record."""
    when = govuk_date(meeting["scheduled_for"], with_time=True)
    if meeting["attendance_recorded_at"] is None:
        return meeting["id"], when
    return meeting["id"], f"{when} ({meeting['attendees']} attended)"


def with_meetings(
    decision: Decision, meetings: Sequence[Mapping[str, Any]], *, now: datetime, held_only: bool
) -> CaseForm:
    """The meeting question offering the case's meetings (only those held, for a decision)."""
    every = [meeting_option(m) for m in meetings]
    sent = _with_options(decision, MEETING_FIELD, every)
    if not held_only:
        return CaseForm(
            _with_options(decision, MEETING_FIELD, every, None if every else NO_MEETINGS), sent
        )
    offered = [meeting_option(m) for m in meetings if held(m, now)]
    if offered:
        return CaseForm(_with_options(decision, MEETING_FIELD, offered), sent)
    return CaseForm(decision, sent, _no_meeting_held(meetings, now))


def _no_meeting_held(meetings: Sequence[Mapping[str, Any]], now: datetime) -> Unavailable:
    if not meetings:
        return Unavailable(
            (
                "No meeting has this case on its agenda yet. The panel's decision is recorded"
                " from a meeting that has taken place, with its attendance.",
                "Schedule a meeting from your panel's page.",
            ),
            (("/panels", "Go to your panels"),),
        )
    links = tuple(
        (
            f"/meetings/{m['id']}",
            f"Meeting on {govuk_date(m['scheduled_for'], with_time=True)}: "
            + ("not held yet" if _at(m["scheduled_for"]) > now else "attendance not recorded"),
        )
        for m in meetings
    )
    return Unavailable(
        (
            "No meeting with this case on its agenda has taken place yet, with its attendance"
            " recorded. Record the panel's decision once it has.",
        ),
        links,
    )


# --- post-exit reviews --------------------------------------------------------------------


def open_review(review: Mapping[str, Any], stage: str, now: datetime) -> bool:
    """Whether a pending review may be recorded now. The status says so as of the case's last
    activity; the window may have opened since, which the time shows."""
    return stage == IN_REVIEWS and (review["open"] or _at(review["opens_at"]) <= now)


def pending_reviews(status: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The case policy's post-exit reviews not yet held (none when the status is missing)."""
    return list((status or {}).get("post_exit_reviews") or [])


def reviews_open(status: Mapping[str, Any] | None, now: datetime) -> bool:
    """Whether any post-exit review may be recorded now."""
    stage = (status or {}).get("stage", "")
    return any(open_review(r, stage, now) for r in pending_reviews(status))


def review_notes(status: Mapping[str, Any] | None, now: datetime) -> dict[int, str]:
    """When each review not yet held may be recorded, by its months, for the case page."""
    stage = (status or {}).get("stage", "")
    return {
        r["months"]: "can be recorded now"
        if open_review(r, stage, now)
        else f"can be recorded from {govuk_date(r['opens_at'])}"
        for r in pending_reviews(status)
    }


def later_text(review: Mapping[str, Any]) -> str:
    """A review not open yet, in words."""
    return (
        f"The {review['months']}-month review is due on {govuk_date(review['due_at'])}"
        f" and can be recorded from {govuk_date(review['opens_at'])}."
    )


def with_reviews(decision: Decision, status: Mapping[str, Any] | None, now: datetime) -> CaseForm:
    """The review question offering the reviews open now; the others named with their dates."""
    pending = pending_reviews(status)
    stage = (status or {}).get("stage", "")
    opened = [r for r in pending if open_review(r, stage, now)]
    later = [later_text(r) for r in pending if not open_review(r, stage, now)]
    every = [_review_option(r) for r in pending]
    sent = _with_options(decision, MONTHS_FIELD, every)
    if status is None:
        return CaseForm(decision, sent, Unavailable((UNLOADED,)))
    if not opened:
        return CaseForm(
            decision, sent, Unavailable(("No post-exit review can be recorded yet.", *later))
        )
    hint = " ".join(later) if later else None
    return CaseForm(
        _with_options(decision, MONTHS_FIELD, [_review_option(r) for r in opened], hint), sent
    )


def _review_option(review: Mapping[str, Any]) -> tuple[str, str]:
    months = review["months"]
    return str(months), f"{months} months after exit (due on {govuk_date(review['due_at'])})"


# --- the consent reassessment period ------------------------------------------------------


def with_reassessment(decision: Decision, *, default_days: int, due_at: str | None) -> CaseForm:
    """The period question saying what applies until the panel chooses, and when that falls."""
    hint = (
        f"Days after consent was not given, from 1 to 730. Until the panel chooses, the"
        f" default is {default_days} days."
    )
    if due_at:
        hint += f" The reassessment is now due on {govuk_date(due_at)}."
    fields = tuple(replace(f, hint=hint) if f.name == DAYS_FIELD else f for f in decision.fields)
    offered = replace(decision, fields=fields)
    return CaseForm(offered, offered)
