"""One referral's intake is one trace, POST to email; a later step is its own, linked trace."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client

from safeguard.background import running
from safeguard.case_tracing import CaseTracingInterceptor
from safeguard.codes import GatewayOutcome
from safeguard.db.pool import Pool, create_pool
from safeguard.outbox import OutboxRelay
from safeguard.settings import NotificationSettings, Settings
from services.intake.app import create_app as intake_app
from services.intake.openapi import SCHOOL_REFERRAL
from services.notifications.app import create_app as notifications_app
from services.notifications.sink import SmtpSink
from tests.helpers import assert_eventually, free_port
from tests.intake.clients import register_client
from tests.servers import serve
from tests.workflow import builders as b
from workflows.referral.worker import build_worker
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

PERSONAL = (
    "Alex Morgan",
    "dsl@riverside.example.org",
    "0161 496 0000",
    "Whitfield",
    "2010-03-14",
    "Example Street",
    "M1 1AA",
    "07700 900123",
    "violent material",
)


@dataclass
class Traced:
    """The running path and a Temporal client with the tracing interceptor."""

    intake: str
    partner: dict[str, str]
    temporal: Client
    pool: Pool
    smtp: SmtpSink


@pytest.fixture
async def traced(settings: Settings, temporal_client: Client) -> AsyncIterator[Traced]:
    """Intake, worker, relay and notifications (mailing a real SMTP server), all traced."""
    client = Client(
        temporal_client.service_client,
        namespace=temporal_client.namespace,
        data_converter=temporal_client.data_converter,
        interceptors=[CaseTracingInterceptor()],
    )
    pool = await create_pool(settings)
    smtp = SmtpSink(host="127.0.0.1", port=free_port())
    await smtp.start()
    async with AsyncExitStack() as stack:
        worker = build_worker(client, pool, task_queue=settings.temporal_task_queue)
        relay = OutboxRelay(settings=settings, pool=pool)
        await stack.enter_async_context(running(worker.run(), relay.run()))
        intake = await stack.enter_async_context(serve(intake_app(settings, temporal=client)))
        mailing = settings.model_copy(
            update={
                "intake_internal_url": intake,
                "notifications": NotificationSettings(
                    smtp_host=smtp.host, smtp_port=smtp.port, smtp_local_sink=False
                ),
            }
        )
        await stack.enter_async_context(serve(notifications_app(mailing)))
        yield Traced(intake, await register_client(pool, "riverside-academy"), client, pool, smtp)
    await smtp.stop()
    await pool.close()


def _one(spans: list[ReadableSpan], name: str, **attributes: Any) -> ReadableSpan:
    found = [
        s
        for s in spans
        if s.name == name
        and all((s.attributes or {}).get(key) == value for key, value in attributes.items())
    ]
    assert len(found) == 1, (name, attributes, [s.name for s in spans])
    return found[0]


def _parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


def _ancestors(span: ReadableSpan, spans: list[ReadableSpan]) -> list[str]:
    by_id = {s.context.span_id: s for s in spans if s.context}
    names = []
    current: ReadableSpan | None = span
    while current is not None and current.parent is not None:
        current = by_id.get(current.parent.span_id)
        if current is not None:
            names.append(current.name)
    return names


async def _delivered(spans: InMemorySpanExporter, template: str) -> list[ReadableSpan]:
    """The delivery span of a template, once finished (it ends after its SMTP span)."""
    name = f"notification {template} send"
    return [s for s in spans.get_finished_spans() if s.name == name]


async def _sent(spans: InMemorySpanExporter, template: str) -> list[ReadableSpan]:
    return [
        s
        for s in spans.get_finished_spans()
        if s.name == "smtp send" and (s.attributes or {}).get("notification.template") == template
    ]


async def test_intake_to_notification_is_one_trace_and_a_step_links_to_it(
    spans: InMemorySpanExporter, traced: Traced
) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{traced.intake}/v1/referrals",
            json=SCHOOL_REFERRAL,
            headers=traced.partner | {"Idempotency-Key": str(uuid.uuid4())},
        )
    assert answer.status_code == 201, answer.text
    reference = answer.json()["reference"]
    await assert_eventually(lambda: _delivered(spans, "referral_acknowledgement"), within=60)

    finished = list(spans.get_finished_spans())
    post = _one(finished, "POST /v1/referrals", **{"http.route": "/v1/referrals"})
    case = [s for s in finished if s.context.trace_id == post.context.trace_id]
    names = {s.name for s in case}
    assert {
        "StartWorkflow:ReferralWorkflow",
        "RunWorkflow:ReferralWorkflow",
        "StartActivity:record_events",
        "RunActivity:record_events",
        "record_event",
        "referral.events publish",
        "notifications process",
        "smtp send",
    } <= names

    submitted = {"event.type": "referral.submitted"}
    activity = _one(case, "record_event", **submitted)
    assert (
        activity.attributes is not None and activity.attributes["referral.reference"] == reference
    )
    assert "RunActivity:record_events" in _ancestors(activity, case)
    assert "StartWorkflow:ReferralWorkflow" in _ancestors(activity, case)
    assert "POST /v1/referrals" in _ancestors(activity, case)
    publish = _one(case, "referral.events publish", **submitted)
    assert _parent_of(publish) == activity.context.span_id
    consumed = _one(case, "notifications process", **submitted)
    assert _parent_of(consumed) == publish.context.span_id
    assert (
        consumed.attributes is not None
        and consumed.attributes["case.stage"] == "GATEWAY_ASSESSMENT"
    )
    send = _one(case, "notification referral_acknowledgement send")
    assert _parent_of(send) == consumed.context.span_id
    [smtp] = await _sent(spans, "referral_acknowledgement")
    assert _parent_of(smtp) == send.context.span_id
    # The consumer's own database work hangs under its span.
    assert any(_parent_of(s) == consumed.context.span_id and s.kind.name == "CLIENT" for s in case)

    # A later human step: its own trace, linked to the case's.
    handle = traced.temporal.get_workflow_handle(workflow_id_for(reference))
    await handle.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
    )
    await assert_eventually(lambda: _delivered(spans, "case_closed"), within=60)
    finished = list(spans.get_finished_spans())
    update = _one(finished, "HandleUpdate:record_gateway_assessment")
    assert update.context.trace_id != post.context.trace_id
    assert [link.context.trace_id for link in update.links] == [post.context.trace_id]
    step = [s for s in finished if s.context.trace_id == update.context.trace_id]
    recorded = _one(step, "record_event", **{"event.type": "case.closed"})
    assert recorded.attributes is not None and recorded.attributes["case.stage"] == "CLOSED"
    [closed_mail] = await _sent(spans, "case_closed")
    assert closed_mail.context.trace_id == update.context.trace_id

    _assert_no_personal_data(finished)


def _assert_no_personal_data(spans: list[ReadableSpan]) -> None:
    for span in spans:
        for key, value in {**(span.attributes or {}), **(span.resource.attributes or {})}.items():
            text = str(value)
            for personal in PERSONAL:
                assert personal not in text, (span.name, key)
            assert not re.search(r"\bSam\b", text), (span.name, key)
