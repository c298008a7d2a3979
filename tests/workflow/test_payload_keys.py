"""Payload keys over a case's life: rotation keeps histories readable; plain input is refused."""

from __future__ import annotations

import base64
import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

from google.protobuf.message import Message
from pydantic import SecretStr
from temporalio import activity
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from safeguard.codec import KEY_ID, WORKFLOW_ID, is_encrypted
from safeguard.codes import GatewayOutcome, Stage
from safeguard.policy import LifecyclePolicy
from safeguard.settings import DEV_PAYLOAD_KEY, DEV_PAYLOAD_KEY_ID, Settings
from safeguard.temporal import data_converter_for
from tests.helpers import assert_eventually
from tests.workflow import builders as b
from tests.workflow.conftest import MINOR_DOB, Harness
from workflows.referral.activities import assessment_due
from workflows.referral.models import RecordEventInput, RecordEventsInput, ReferralWorkflowInput
from workflows.referral.worker import SANDBOX
from workflows.referral.workflows import ReferralWorkflow

# Recorded under the development key before payloads were bound to their workflow.
OLD_HISTORY = Path(__file__).parent / "histories" / "journey_v1.json"
NEW_KEY_ID = "2026-12"


def converter(keys: dict[str, str], active: str) -> DataConverter:
    settings = Settings(
        environment="test",
        payload_keys={key_id: SecretStr(key) for key_id, key in keys.items()},
        payload_active_key=active,
    )
    return data_converter_for(settings)


NEW_KEY = base64.b64encode(os.urandom(32)).decode()
ROTATED = converter({DEV_PAYLOAD_KEY_ID: DEV_PAYLOAD_KEY, NEW_KEY_ID: NEW_KEY}, NEW_KEY_ID)


def client_with(client: Client, data_converter: DataConverter) -> Client:
    """The same connection with another data converter (another process's configuration)."""
    config = client.config()
    config["data_converter"] = data_converter
    return Client(**config)


@asynccontextmanager
async def worker(client: Client, task_queue: str) -> AsyncIterator[None]:
    @activity.defn(name="record_event")
    async def record_event(input: RecordEventInput) -> None:
        return None

    @activity.defn(name="record_events")
    async def record_events(input: RecordEventsInput) -> None:
        return None

    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ReferralWorkflow],
        activities=[record_event, record_events, assessment_due],
        workflow_runner=SANDBOX,
    ):
        yield


async def replay_failure(history: WorkflowHistory, data_converter: DataConverter) -> object:
    replayer = Replayer(
        workflows=[ReferralWorkflow], data_converter=data_converter, workflow_runner=SANDBOX
    )
    return (await replayer.replay_workflow(history, raise_on_replay_failure=False)).replay_failure


def encrypted(events: list[HistoryEvent]) -> list[Payload]:
    """Every encrypted payload in the events, in order."""
    return [p for event in events for p in _payloads(event) if is_encrypted(p)]


def _payloads(message: Message) -> Iterator[Payload]:
    for field, value in message.ListFields():
        kind = field.message_type
        if kind is None:
            continue
        if kind.GetOptions().map_entry:
            items = list(value.values()) if kind.fields_by_name["value"].message_type else []
        else:
            items = list(value) if field.is_repeated else [value]
        for item in items:
            yield from [item] if isinstance(item, Payload) else _payloads(item)


async def test_a_history_written_under_an_old_key_replays_and_decodes_after_rotation() -> None:
    history = WorkflowHistory.from_json("journey", OLD_HISTORY.read_text())
    payloads = encrypted(list(history.events))
    assert {p.metadata[KEY_ID] for p in payloads} == {DEV_PAYLOAD_KEY_ID.encode()}

    replayer = Replayer(
        workflows=[ReferralWorkflow], data_converter=ROTATED, workflow_runner=SANDBOX
    )
    assert (
        await replayer.replay_workflow(history, raise_on_replay_failure=False)
    ).replay_failure is None
    assert ROTATED.payload_codec is not None
    assert len(await ROTATED.payload_codec.decode(payloads)) == len(payloads)

    # The old key is what makes it readable: dropping it too early breaks the replay.
    new_only = converter({NEW_KEY_ID: NEW_KEY}, NEW_KEY_ID)
    replayer = Replayer(
        workflows=[ReferralWorkflow], data_converter=new_only, workflow_runner=SANDBOX
    )
    assert (await replayer.replay_workflow(history, raise_on_replay_failure=False)).replay_failure


async def test_a_running_case_continues_after_rotation_and_new_payloads_use_the_new_key(
    temporal_client: Client, temporal_env: WorkflowEnvironment
) -> None:
    task_queue = f"rotation-{uuid.uuid4().hex[:8]}"
    before = Harness(temporal_client, temporal_env, task_queue)  # the development key only
    async with worker(temporal_client, task_queue):
        case = await before.start()
    rotated = client_with(temporal_client, ROTATED)
    async with worker(rotated, task_queue):
        handle = rotated.get_workflow_handle_for(ReferralWorkflow.run, case.id)
        assessment = b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
        status = await handle.execute_update(ReferralWorkflow.record_gateway_assessment, assessment)
        assert status.stage is Stage.CONSENT_PENDING

    events = list((await handle.fetch_history()).events)
    started = events[0].workflow_execution_started_event_attributes.input.payloads[0]
    assert started.metadata[KEY_ID] == DEV_PAYLOAD_KEY_ID.encode()
    accepted = next(
        e.workflow_execution_update_accepted_event_attributes.accepted_request.input.args
        for e in events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    )
    assert accepted.payloads[0].metadata[KEY_ID] == NEW_KEY_ID.encode()
    assert accepted.payloads[0].metadata[WORKFLOW_ID] == case.id.encode()
    key_ids = [p.metadata[KEY_ID].decode() for p in encrypted(events)]
    # Everything the rotated worker and client wrote uses the new key, nothing after it the old.
    first_new = key_ids.index(NEW_KEY_ID)
    assert set(key_ids[:first_new]) == {DEV_PAYLOAD_KEY_ID}
    assert set(key_ids[first_new:]) == {NEW_KEY_ID}
    replayer = Replayer(
        workflows=[ReferralWorkflow], data_converter=ROTATED, workflow_runner=SANDBOX
    )
    await replayer.replay_workflow(await handle.fetch_history())


async def test_a_worker_refuses_a_case_started_with_plain_payloads(
    temporal_client: Client, temporal_env: WorkflowEnvironment
) -> None:
    task_queue = f"plain-{uuid.uuid4().hex[:8]}"
    plain = client_with(temporal_client, pydantic_data_converter)
    async with worker(temporal_client, task_queue):
        handle = await plain.start_workflow(
            ReferralWorkflow.run, case_input(), id=f"plain-{uuid.uuid4()}", task_queue=task_queue
        )

        async def failures() -> list[str]:
            history = await handle.fetch_history()
            return [
                e.workflow_task_failed_event_attributes.failure.message
                for e in history.events
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
            ]

        [message, *_] = await assert_eventually(failures)
        await handle.terminate("test: refused plain payloads")
        # The same worker runs a case written through the codec.
        await Harness(temporal_client, temporal_env, task_queue).start()
    assert "refused a payload without encryption (encoding 'json/plain')" in message


def case_input() -> ReferralWorkflowInput:
    referral_id = uuid.uuid4()
    return ReferralWorkflowInput(
        referral_id=referral_id,
        reference=f"PRV-2026-{referral_id.int % 1_000_000:06d}",
        sector="education",
        concern_type="other",
        received_at=dt.datetime.now(dt.UTC),
        area="E09000033",
        date_of_birth=MINOR_DOB,
        policy=LifecyclePolicy(),
    )
