"""The decision timeline of a case, rebuilt from its workflow history alone.

Each human step is an accepted update in the history: its input names the actor, their role
and their reasons; its outcome gives the stage it led to; the events recorded while it ran
(by `record_event` activities, or since v4 the `record_events` local activity, whose result the
history keeps) are the events it caused. Alarms show as system entries.

Which fields of an input hold free text the workflow's input models declare
(`safeguard.personal`); this package cannot import them, so its callers pass the names in
(`workflows.referral.actions.PERSONAL_FIELDS`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.converter import PayloadConverter

from safeguard.personal import without_personal

_CONVERTER = PayloadConverter.default
_LOCAL_ACTIVITY = "core_local_activity"  # the SDK's marker for a local activity's result
# What the opened entry shows of the workflow's input: codes and the submitting organisation
# (its client id and name), never the date of birth beside them.
_OPENED = ("reference", "area", "sector", "concern_type", "agency")


class TimelineEntry(BaseModel):
    """One decision (or alarm, or logged step) and what followed from it."""

    at: datetime
    kind: str  # opened | decision | rejected | alarm | continued | action (from the audit log)
    action: str
    actor_id: str | None = None
    actor_role: str | None = None
    stage_before: str | None = None
    stage_after: str | None = None
    reasons: dict[str, Any] = Field(default_factory=dict)
    detail: dict[str, Any] = Field(default_factory=dict)
    events: list[str] = Field(default_factory=list)
    # Where the entry was read: the workflow history, or the audit log (steps that never
    # reach the workflow, see safeguard.audit.actions).
    source: Literal["history", "audit_log"] = "history"


def _value(payloads: Any) -> Any:
    """The first payload of a (decoded) Payloads message as plain JSON values."""
    if not payloads.payloads:
        return None
    return _CONVERTER.from_payloads(payloads.payloads)[0]


def _split(
    content: dict[str, Any], personal: frozenset[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An update's top-level free text apart from the rest of its content."""
    reasons: dict[str, Any] = {}
    codes: dict[str, Any] = {}
    for key, value in content.items():
        if key in personal:
            reasons[key] = value
        else:
            codes[key] = value
    return reasons, codes


class _Builder:
    def __init__(self, personal: frozenset[str]) -> None:
        self.personal = personal
        self.entries: list[TimelineEntry] = []
        self.open_updates: dict[str, TimelineEntry] = {}
        self.stage: str | None = None

    def add(self, event: HistoryEvent) -> None:
        handler = _HANDLERS.get(event.event_type)
        if handler:
            handler(self, event, event.event_time.ToDatetime(tzinfo=UTC))

    def started(self, event: HistoryEvent, at: datetime) -> None:
        attrs = event.workflow_execution_started_event_attributes
        case = _value(attrs.input) or {}
        state = case.get("state")
        if state:
            self.stage = state.get("stage")
            self.entries.append(TimelineEntry(at=at, kind="continued", action="run continued"))
            return
        self.entries.append(
            TimelineEntry(
                at=at,
                kind="opened",
                action="referral received",
                detail={k: case.get(k) for k in _OPENED},
            )
        )

    def accepted(self, event: HistoryEvent, at: datetime) -> None:
        attrs = event.workflow_execution_update_accepted_event_attributes
        request = attrs.accepted_request
        content = _value(request.input.args) or {}
        actor = content.pop("actor", {}) or {}
        reasons, codes = _split(content, self.personal)
        entry = TimelineEntry(
            at=at,
            kind="decision",
            action=request.input.name,
            actor_id=actor.get("id"),
            actor_role=actor.get("role"),
            stage_before=self.stage,
            reasons=reasons,
            detail=codes,
        )
        self.open_updates[request.meta.update_id] = entry
        self.entries.append(entry)

    def completed(self, event: HistoryEvent, at: datetime) -> None:
        attrs = event.workflow_execution_update_completed_event_attributes
        entry = self.open_updates.pop(attrs.meta.update_id, None)
        if entry is None:
            return
        if attrs.outcome.HasField("failure"):
            entry.kind = "rejected"
            entry.detail["rejection"] = attrs.outcome.failure.message
            return
        status = _value(attrs.outcome.success) or {}
        entry.stage_after = status.get("stage", self.stage)
        self.stage = entry.stage_after

    def scheduled(self, event: HistoryEvent, at: datetime) -> None:
        attrs = event.activity_task_scheduled_event_attributes
        if attrs.activity_type.name == "record_event":
            self.published((_value(attrs.input) or {}).get("envelope", {}), at)

    def marker(self, event: HistoryEvent, at: datetime) -> None:
        # Since v4 a step's events go out in one local activity: the history keeps its result
        # (the events it recorded), not its input.
        attrs = event.marker_recorded_event_attributes
        if attrs.marker_name != _LOCAL_ACTIVITY or "result" not in attrs.details:
            return
        if (_value(attrs.details["data"]) or {}).get("activity_type") != "record_events":
            return
        for envelope in (_value(attrs.details["result"]) or {}).get("envelopes", []):
            self.published(envelope, at)

    def published(self, envelope: dict[str, Any], at: datetime) -> None:
        event_type = envelope.get("type", "?")
        stage = (envelope.get("data") or {}).get("stage")
        if self.open_updates:
            # Events scheduled while a step runs are that step's (steps run one at a time).
            list(self.open_updates.values())[-1].events.append(event_type)
        elif self.entries and self.entries[-1].kind == "opened" and not self.entries[-1].events:
            self.entries[-1].events.append(event_type)
            self.entries[-1].stage_after = stage
        else:
            self.entries.append(
                TimelineEntry(
                    at=at,
                    kind="alarm",
                    action=event_type,
                    actor_role="system",
                    stage_before=self.stage,
                    stage_after=stage,
                    events=[event_type],
                )
            )
        self.stage = stage or self.stage


_HANDLERS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: _Builder.started,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: _Builder.accepted,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: _Builder.completed,
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: _Builder.scheduled,
    EventType.EVENT_TYPE_MARKER_RECORDED: _Builder.marker,
}


def timeline(runs: list[list[HistoryEvent]], personal: frozenset[str]) -> list[TimelineEntry]:
    """The timeline of a case from its runs' decoded history events, oldest run first;
    the input fields named in `personal` are its reasons."""
    builder = _Builder(personal)
    for events in runs:
        for event in events:
            builder.add(event)
    return builder.entries


def erased(entries: list[TimelineEntry], personal: frozenset[str]) -> list[TimelineEntry]:
    """The timeline an erased case keeps: who, what, when and codes, without free text."""
    return [
        entry.model_copy(update={"reasons": {}, "detail": without_personal(entry.detail, personal)})
        for entry in entries
    ]
