"""The payload codec: plain payloads refused, payloads bound to their workflow, keys checked."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import SecretStr, ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext

from safeguard.codec import WORKFLOW_ID, EncryptionCodec, PayloadNotEncryptedError
from safeguard.settings import DEV_PAYLOAD_KEY, Settings

PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"actor": "forged"}')
WORKFLOW = "referral-PRV-2026-000123"


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def codec(keys: dict[str, bytes], active: str) -> EncryptionCodec:
    return EncryptionCodec(keys, active_key_id=active)


async def test_a_payload_without_the_encryption_metadata_is_refused() -> None:
    with pytest.raises(PayloadNotEncryptedError, match="without encryption.*'json/plain'"):
        await codec({"k": os.urandom(32)}, "k").decode([PLAIN])
    unmarked = Payload(data=b"anything")
    with pytest.raises(PayloadNotEncryptedError, match="'none'"):
        await codec({"k": os.urandom(32)}, "k").decode([unmarked])


@pytest.mark.parametrize(
    "context",
    [
        WorkflowSerializationContext(namespace="prevent", workflow_id=WORKFLOW),
        ActivitySerializationContext(
            namespace="prevent",
            activity_id="1",
            activity_type="record_event",
            activity_task_queue="referrals",
            workflow_id=WORKFLOW,
            workflow_type="ReferralWorkflow",
            is_local=False,
        ),
    ],
)
async def test_payloads_are_bound_to_the_workflow_of_their_context(
    context: WorkflowSerializationContext | ActivitySerializationContext,
) -> None:
    plain = codec({"k": os.urandom(32)}, "k")
    bound = plain.with_context(context)
    [sealed] = await bound.encode([PLAIN])
    assert sealed.metadata[WORKFLOW_ID] == WORKFLOW.encode()
    opened = plain.open(sealed)
    assert (opened.workflow_id, opened.payload) == (WORKFLOW, PLAIN)
    # The binding is authenticated: the payload cannot be passed off as another case's.
    sealed.metadata[WORKFLOW_ID] = b"referral-PRV-2026-000999"
    with pytest.raises(InvalidTag):
        plain.open(sealed)
    del sealed.metadata[WORKFLOW_ID]
    with pytest.raises(InvalidTag):
        plain.open(sealed)


async def test_old_payloads_decode_after_rotation_and_new_ones_use_the_new_key() -> None:
    old, new = os.urandom(32), os.urandom(32)
    [written] = await codec({"2026-11": old}, "2026-11").encode([PLAIN])
    rotated = codec({"2026-11": old, "2026-12": new}, "2026-12")
    assert await rotated.decode([written]) == [PLAIN]
    [fresh] = await rotated.encode([PLAIN])
    assert fresh.metadata["encryption-key-id"] == b"2026-12"
    assert await codec({"2026-12": new}, "2026-12").decode([fresh]) == [PLAIN]


def production(**keys: str) -> Settings:
    return Settings(
        environment="production",
        payload_keys={key_id: SecretStr(value) for key_id, value in keys.items()},
        payload_active_key=next(iter(keys)),
        audit_chain_key=SecretStr("a-real-audit-chain-key"),
    )


def test_production_takes_its_own_keys() -> None:
    assert production(**{"2026-11": new_key(), "2026-12": new_key()}).payload_active_key


@pytest.mark.parametrize(
    "spelling",
    [
        DEV_PAYLOAD_KEY,
        f" {DEV_PAYLOAD_KEY}\n",
        # The last character holds two unused bits: another spelling of the same 32 bytes.
        DEV_PAYLOAD_KEY[:-2] + "B=",
    ],
)
def test_production_refuses_the_development_key_under_any_id(spelling: str) -> None:
    assert base64.b64decode(spelling.strip()) == base64.b64decode(DEV_PAYLOAD_KEY)
    with pytest.raises(ValidationError, match="development payload key"):
        production(**{"2026-11": spelling})
    with pytest.raises(ValidationError, match="development payload key"):
        production(**{"2026-12": new_key(), "2026-11": spelling})
