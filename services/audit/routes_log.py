"""The audit log for auditors: proofs that an entry is in it, and that it only ever grew.

Each proof is checked by `safeguard/audit/log/proofcheck.py` (a file that stands alone) with
the log's verifier key alone: nobody need trust this service or its database to check one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from safeguard.audit.log.checkpoints import verifier_key_text
from safeguard.audit.log.proofs import ProofUnavailableError, prove_consistency, prove_inclusion
from safeguard.audit.log.setup import verifier_key_for
from safeguard.auth.staff import StaffPrincipal
from safeguard.auth.staff_deps import require_roles
from safeguard.codes import Role
from safeguard.errors import RETRY_AFTER_HEADER, ProblemError
from safeguard.errors import documented_problem as problem
from safeguard.web import PoolDep, SettingsDep

router = APIRouter(prefix="/v1/log", tags=["audit log"])
Auditor = Annotated[StaffPrincipal, Depends(require_roles(Role.AUDITOR))]
AUDITORS_ONLY: dict[int | str, dict[str, Any]] = {
    401: problem("No staff bearer token, or one that is invalid or expired."),
    403: problem("The role is not `auditor`."),
}


class LogState(BaseModel):
    """The log as it stands, from its tables alone (checking it is `/v1/log/verification`)."""

    size: int
    unsequenced: int
    checkpoint_size: int | None
    checkpoint_at: datetime | None
    checkpoints_not_copied: int


class InclusionProof(BaseModel):
    """Entry `leaf_index` is in the tree the signed `checkpoint` commits to."""

    leaf_index: int
    entry: dict[str, Any]
    leaf: str
    path: list[str]
    checkpoint: str


class ConsistencyProof(BaseModel):
    """The tree of the `new` checkpoint extends the tree of the `old` one."""

    old: str
    new: str
    path: list[str]


class VerifierKeyText(BaseModel):
    """The key checkpoints are signed with, as `proofcheck.py --key` takes it."""

    key: str


@router.get("", responses=AUDITORS_ONLY)
async def log_state(pool: PoolDep, auditor: Auditor) -> LogState:
    """How many entries the tree holds, how many wait to be numbered, the newest signed
    checkpoint, and how many checkpoints are not yet in the write-once store."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT (SELECT size FROM audit.log_tree) AS size,"
            " (SELECT count(*) FROM audit.log_entries WHERE seq IS NULL) AS unsequenced,"
            " (SELECT count(*) FROM audit.log_checkpoints WHERE copied_at IS NULL) AS uncopied,"
            " c.size AS checkpoint_size, c.at AS checkpoint_at"
            " FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT size, at FROM"
            " audit.log_checkpoints ORDER BY size DESC LIMIT 1) AS c ON true"
        )
    assert row is not None  # noqa: S101 - a SELECT without FROM filter returns one row
    return LogState(
        size=row["size"],
        unsequenced=row["unsequenced"],
        checkpoint_size=row["checkpoint_size"],
        checkpoint_at=row["checkpoint_at"],
        checkpoints_not_copied=row["uncopied"],
    )


@router.get(
    "/entries/{seq}/proof",
    responses={
        **AUDITORS_ONLY,
        404: problem("No entry has that number (yet)."),
        409: problem(
            "The entry is numbered but no signed checkpoint covers it yet.", RETRY_AFTER_HEADER
        ),
    },
)
async def entry_proof(
    seq: int, pool: PoolDep, settings: SettingsDep, auditor: Auditor
) -> InclusionProof:
    """The proof that entry `seq` (a read's `entry` in the reads list) is in the log, under
    the newest signed checkpoint."""
    async with pool.acquire() as conn:
        try:
            return InclusionProof(**await prove_inclusion(conn, seq))
        except ProofUnavailableError as error:
            raise _refusal(error, settings.audit_log.checkpoint_seconds) from None


@router.get(
    "/consistency",
    responses={
        **AUDITORS_ONLY,
        404: problem("There is no checkpoint of one of those sizes."),
        422: problem("`old` or `new` is missing or not a positive size."),
    },
)
async def consistency_proof(
    pool: PoolDep,
    auditor: Auditor,
    old: Annotated[int, Query(ge=1, description="The older checkpoint's tree size.")],
    new: Annotated[int, Query(ge=1, description="The newer checkpoint's tree size.")],
) -> ConsistencyProof:
    """The proof that the log, as the checkpoint of size `new` signs it, extends the log as the
    checkpoint of size `old` signed it: nothing before was changed or removed. (Given the
    other way round, the sizes are taken in order: a log only grows.)"""
    async with pool.acquire() as conn:
        try:
            return ConsistencyProof(**await prove_consistency(conn, min(old, new), max(old, new)))
        except ProofUnavailableError as error:
            raise _refusal(error, 0) from None


@router.get("/key", responses=AUDITORS_ONLY)
async def verifier_key(settings: SettingsDep, auditor: Auditor) -> VerifierKeyText:
    """The log's verifier key. Check it against the one you were given independently: a proof
    checked with a key from the service it is about proves nothing about that service."""
    return VerifierKeyText(key=verifier_key_text(verifier_key_for(settings)))


def _refusal(error: ProofUnavailableError, wait: float) -> ProblemError:
    if error.pending:
        return ProblemError(
            409, "Not yet signed", str(error), headers={"Retry-After": str(max(1, round(wait)))}
        )
    return ProblemError(404, "Unknown entry", str(error))
