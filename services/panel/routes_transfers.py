"""Transfers between areas, as a chair meets them: the requests waiting for their areas, and
accepting, declining or withdrawing one.

The sending area asks through `/transfer` (`routes_cases`); the case stays theirs until the
receiving area accepts. Until then the receiving chair reads the case (`GET /v1/cases/{ref}`)
to decide. Which side may give which answer is the workflow's rule.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from safeguard.access_log import stated_purpose
from safeguard.case_updates import TRANSFER_ANSWER_REFUSALS, TRANSFER_WITHDRAW_REFUSALS
from safeguard.fieldcrypt.setup import KeyringDep
from safeguard.web import PoolDep, TemporalDep
from services.panel import casework
from services.panel.access import Chair, Reader
from services.panel.cases import act
from services.panel.models import TransferDecline, TransferRead, TransferWithdrawal
from workflows.referral import actions as a
from workflows.referral.models import CaseStatus
from workflows.referral.workflows import ReferralWorkflow

Purpose = Annotated[str, Depends(stated_purpose)]

transfers_router = APIRouter(prefix="/v1/transfers", tags=["transfers"])
transfer_steps_router = APIRouter(prefix="/v1/cases", tags=["cases"])


@transfers_router.get("")
async def list_transfers(principal: Reader, purpose: Purpose, pool: PoolDep) -> list[TransferRead]:
    """Transfers waiting for one of your areas to accept or decline them, oldest first; open
    each case (`GET /v1/cases/{reference}`) to read it before answering."""
    return await casework.incoming_transfers(pool, principal=principal, purpose=purpose)


@transfer_steps_router.post("/{reference}/transfer/accept", responses=TRANSFER_ANSWER_REFUSALS)
async def accept_transfer(
    reference: str, principal: Chair, pool: PoolDep, keyring: KeyringDep, temporal: TemporalDep
) -> CaseStatus:
    """Take in a case whose transfer waits on your area: it becomes yours, history and all,
    and the sending area no longer sees it."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.accept_transfer,
        build=lambda actor: a.AcceptTransferInput(actor=actor),
        detail={},
        answering_transfer=True,
    )


@transfer_steps_router.post("/{reference}/transfer/decline", responses=TRANSFER_ANSWER_REFUSALS)
async def decline_transfer(
    reference: str,
    body: TransferDecline,
    principal: Chair,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """Decline a transfer to your area, saying why; the case stays where it is."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.decline_transfer,
        build=lambda actor: a.DeclineTransferInput(actor=actor, reason=body.reason),
        detail=body.model_dump(mode="json"),
        answering_transfer=True,
    )


@transfer_steps_router.post("/{reference}/transfer/withdraw", responses=TRANSFER_WITHDRAW_REFUSALS)
async def withdraw_transfer(
    reference: str,
    body: TransferWithdrawal,
    principal: Chair,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """Withdraw your area's request to transfer the case."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.withdraw_transfer,
        build=lambda actor: a.WithdrawTransferInput(actor=actor, reason=body.reason),
        detail=body.model_dump(mode="json"),
        answering_transfer=True,
    )
