"""Decoding for one reader: each payload's case in their scope, police-only fields withheld.

A payload is attributed to its case by the workflow id the worker bound into it (authenticated
by AES-GCM, so a caller cannot relabel it), and the case's current area comes from the audit
store. Every case whose payloads were decrypted is written to the access log before any
plaintext leaves.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload

from safeguard.access_log import record_read
from safeguard.audit.cases import PlacedCase, cases_by_workflow
from safeguard.auth.staff import StaffPrincipal
from safeguard.codec import EncryptionCodec, OpenedPayload, UnknownKeyError, is_encrypted
from safeguard.db.pool import Pool
from safeguard.errors import ProblemError
from safeguard.police_only import sees_police_only, without_police_only
from services.codec.access import SERVICE, sees_area

_JSON = b"json/plain"


async def decode_for(
    reader: StaffPrincipal,
    payloads: Sequence[Payload],
    *,
    codec: EncryptionCodec,
    pool: Pool,
    purpose: str,
) -> list[Payload]:
    """The payloads decrypted for `reader`; a problem if any is not theirs to read."""
    opened = [_open(codec, payload) for payload in payloads]
    counts = Counter(item.workflow_id for item in opened if item is not None)
    police = sees_police_only(reader)
    async with pool.acquire() as conn, conn.transaction():
        workflow_ids = _bound(counts)
        cases = await cases_by_workflow(conn, workflow_ids)
        _check_scope(reader, workflow_ids, cases)
        decoded = [
            payload if item is None else _shown(item.payload, police=police)
            for payload, item in zip(payloads, opened, strict=True)
        ]
        for workflow_id, case in cases.items():
            await record_read(
                conn,
                service=SERVICE,
                principal=reader,
                referral_id=case.referral_id,
                fields=[f"temporal.payloads:{counts[workflow_id]}"],
                purpose=purpose,
            )
    return decoded


def _open(codec: EncryptionCodec, payload: Payload) -> OpenedPayload | None:
    """The decrypted payload; None for one never encrypted (search attributes, headers)."""
    if not is_encrypted(payload):
        return None
    try:
        return codec.open(payload)
    except UnknownKeyError:
        raise ProblemError(
            422, "Unknown payload key", "The payload names a key this codec does not hold."
        ) from None
    except InvalidTag:
        raise ProblemError(
            422, "Undecryptable payload", "A payload failed authentication."
        ) from None


def _bound(counts: Counter[str | None]) -> list[str]:
    if None in counts:
        raise ProblemError(
            403,
            "Payload not attributable",
            "A payload names no case (it was written before payloads were bound to their"
            " workflow); read the case's history through the audit service instead.",
        )
    return [workflow_id for workflow_id in counts if workflow_id is not None]


def _check_scope(
    reader: StaffPrincipal, workflow_ids: Sequence[str], cases: dict[str, PlacedCase]
) -> None:
    """403 unless every payload's case is known and in the reader's scope."""
    for workflow_id in workflow_ids:
        case = cases.get(workflow_id)
        if case is None or not sees_area(reader, case.area):
            raise ProblemError(
                403,
                "Case not in your scope",
                "A payload belongs to a case outside your areas, or to one the audit store"
                " does not know yet.",
            )


def _shown(payload: Payload, *, police: bool) -> Payload:
    """The payload as this reader may see it: police-only fields dropped unless police."""
    if police or payload.metadata.get("encoding") != _JSON:
        return payload
    kept, dropped = without_police_only(json.loads(payload.data))
    if not dropped:
        return payload
    return Payload(metadata=payload.metadata, data=json.dumps(kept).encode())
