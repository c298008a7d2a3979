"""Intake operations: accept a referral once, report its status, share its contacts."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.exceptions import RequestValidationError

from safeguard.auth.agencies import AgencyKind
from safeguard.auth.credentials import Caller
from safeguard.codes import UNASSIGNED_AREA
from safeguard.db.pool import Connection
from safeguard.errors import ProblemError
from safeguard.fieldcrypt.blind_index import BlindIndex
from safeguard.fieldcrypt.setup import FieldCrypto
from services.intake import start_wakeup, store
from services.intake.fields import age_on
from services.intake.form import PUBLIC_SECTORS, Gender, ReferralCreate
from services.intake.linking import person_key
from services.intake.models import PartnerStatus, ReferralAccepted, ReferralStatus
from services.intake.sealed import seal_form
from services.intake.store import NewReferral

REFERENCE = re.compile(r"PRV-\d{4}-\d{6,9}")


@dataclass(frozen=True)
class Submission:
    """The answer to a submission, and whether it repeats an earlier one."""

    accepted: ReferralAccepted
    replayed: bool


def request_hash(form: ReferralCreate) -> bytes:
    """SHA-256 of the form's canonical JSON: key order and spacing do not matter."""
    canonical = json.dumps(form.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).digest()


async def submit_referral(
    conn: Connection,
    *,
    caller: Caller,
    form: ReferralCreate,
    idempotency_key: str | None,
    fields: FieldCrypto,
) -> Submission:
    """Store the referral, its reference and its workflow's start in one transaction.

    The answer waits for the commit only: the starter (services/intake/starter.py), woken by
    the commit's NOTIFY, starts the workflow. The form is stored sealed with a data key made for
    the case; only the blind index of the person's names and date of birth is kept beside it,
    to link re-referrals.
    """
    _check_sector(caller, form)
    body_hash = request_hash(form)
    # Without a key, the body is the key: a retried POST still never makes a second case.
    key = idempotency_key if idempotency_key is not None else f"body:{body_hash.hex()}"
    referral = _new_referral(caller, form, fields.blind_index)
    # Made and wrapped before the transaction, so no row lock waits on the key service.
    new_key = await fields.keyring.prepare(referral.referral_id)
    sealed = seal_form(fields.keyring.prepared_key(new_key), form.model_dump(mode="json"))
    outcome = await store.accept(
        conn,
        referral=dataclasses.replace(referral, form_sealed=sealed),
        idempotency_key=key,
        request_hash=body_hash,
        data_key=new_key,
        announcement=start_wakeup.announcement(referral.referral_id),
    )
    if outcome.replayed:
        return Submission(_replay(outcome, body_hash), replayed=True)
    fields.keyring.stored(new_key)
    assert outcome.reference is not None  # noqa: S101 - a new referral always has one
    return Submission(_accepted(outcome.reference), replayed=False)


def _check_sector(caller: Caller, form: ReferralCreate) -> None:
    if caller.kind is AgencyKind.PUBLIC and form.referrer.sector not in PUBLIC_SECTORS:
        allowed = ", ".join(sorted(PUBLIC_SECTORS))
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "referrer", "sector"),
                    "msg": f"referrals from the public must give one of: {allowed}",
                }
            ]
        )


def _new_referral(caller: Caller, form: ReferralCreate, index: BlindIndex) -> NewReferral:
    received_at = datetime.now(UTC)
    person = form.person
    return NewReferral(
        referral_id=uuid.uuid4(),
        reference="",
        client_id=caller.client_id,
        received_at=received_at,
        sector=form.referrer.sector.value,
        concern_type=form.concern.type.value,
        area=form.area or caller.area or UNASSIGNED_AREA,
        age_at_referral=age_on(person.date_of_birth, received_at.date()),
        gender=(person.gender or Gender.NOT_KNOWN).value,
        person_key=person_key(
            index,
            given_names=person.given_names,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
        ),
        form_sealed=b"",
    )


def _replay(earlier: store.Accepted, body_hash: bytes) -> ReferralAccepted:
    if earlier.reference is None:
        # The referral was erased between our conflict and our read: vanishingly rare.
        raise ProblemError(409, "Idempotency key in use", "Retry the request.")
    if earlier.earlier_hash != body_hash:
        raise ProblemError(
            422,
            "Idempotency key reused",
            "This Idempotency-Key was already used with a different request body.",
        )
    return _accepted(earlier.reference)


def _accepted(reference: str) -> ReferralAccepted:
    return ReferralAccepted(reference=reference, status_url=f"/v1/referrals/{reference}")


def _unknown(reference: str) -> ProblemError:
    return ProblemError(404, "Unknown referral", "No referral of yours has that reference.")


async def referral_status(conn: Connection, *, caller: Caller, reference: str) -> ReferralStatus:
    """The minimal status of one of the caller's own referrals."""
    if not REFERENCE.fullmatch(reference):
        raise _unknown(reference[:40])
    row = await store.status_row(conn, reference=reference, client_id=caller.client_id)
    # Another client's referral is "unknown" too: its existence is not the caller's business.
    if row is None:
        raise _unknown(reference)
    started = row["workflow_started_at"] is not None
    if row["closed_at"] is not None or row["redacted_at"] is not None:
        status = PartnerStatus.CLOSED
    else:
        status = PartnerStatus.BEING_ASSESSED if started else PartnerStatus.RECEIVED
    return ReferralStatus(
        reference=reference, status=status, queued=not started, received_at=row["received_at"]
    )
