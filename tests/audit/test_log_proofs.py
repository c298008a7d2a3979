"""`safeguard audit verify | prove | consistency | key`, each proof checked by the standalone
verifier run on its own, as an outside auditor would."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safeguard.access_log import record_read
from safeguard.audit.cases import handle_event
from safeguard.audit.log import proofcheck
from safeguard.audit.reads import page_of_reads
from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint
from safeguard.cli.main import app
from safeguard.codes import Role, Stage
from safeguard.db.pool import Connection, Pool, create_pool
from safeguard.events.contracts import CaseRedacted
from safeguard.events.envelope import EventEnvelope
from safeguard.settings import Settings, get_settings
from tests.audit.log_helpers import forger, sequence_all, write_reads

AUDITOR = StaffPrincipal(subject="auditor-1", role=Role.AUDITOR)
OFFICER = StaffPrincipal(subject="officer-17", role=Role.PREVENT_OFFICER)


@pytest.fixture
async def logged(settings: Settings) -> AsyncIterator[Pool]:
    """Checkpoints at 5 and 20 entries, and 2 entries after them."""
    pool = await create_pool(settings)
    try:
        for count, signed in ((5, True), (15, True), (2, False)):
            await write_reads(pool, count, service="panel", purpose="panel preparation")
            await sequence_all(pool, settings, checkpoint=signed)
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The CLI pointed at the test's database and log."""
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", settings.database_dsn())
    monkeypatch.setenv(
        "SAFEGUARD_AUDIT_LOG__CHECKPOINT_DIR", str(settings.audit_log.checkpoint_dir)
    )
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _token(principal: StaffPrincipal) -> str:
    key = development_signing_key(get_settings().data_dir)
    return mint(
        key, principal=principal, issuer="safeguard-dev", audience="safeguard", ttl_seconds=60
    )


async def _invoke(cli: CliRunner, *args: str) -> tuple[int, str]:
    result = await asyncio.to_thread(cli.invoke, app, list(args))
    return result.exit_code, result.output


def _standalone(tmp_path: Path, kind: str, proof: dict[str, object], key: str) -> tuple[int, str]:
    """Run proofcheck.py copied alone into an empty directory, in isolated mode."""
    alone = tmp_path / "outsider"
    alone.mkdir(exist_ok=True)
    shutil.copy(proofcheck.__file__, alone / "proofcheck.py")
    (alone / "proof.json").write_text(json.dumps(proof))
    done = subprocess.run(  # noqa: S603 - our own interpreter and file
        [sys.executable, "-I", "proofcheck.py", kind, "proof.json", "--key", key],
        cwd=alone,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


async def test_verify_needs_an_auditor_and_reports_what_it_finds(
    logged: Pool, cli: CliRunner
) -> None:
    code, output = await _invoke(cli, "audit", "verify", "--token", _token(AUDITOR))
    assert code == 0, output
    assert "22 entries checked against 2 signed checkpoints; the first 20 proven" in output
    assert "audit log intact" in output
    code, _ = await _invoke(cli, "audit", "verify", "--token", _token(OFFICER))
    assert code == 2
    async with logged.acquire() as conn:
        await conn.execute("UPDATE audit.log_entries SET actor = 'nobody' WHERE seq = 11")
    code, output = await _invoke(cli, "audit", "verify", "--token", _token(AUDITOR))
    assert code == 1
    assert "FOUND (altered): entry 11 changed after it was logged" in output


async def test_an_inclusion_proof_checks_out_alone_and_a_doctored_one_does_not(
    logged: Pool, cli: CliRunner, tmp_path: Path
) -> None:
    _, key = await _invoke(cli, "audit", "key")
    code, output = await _invoke(cli, "audit", "prove", "7", "--token", _token(AUDITOR))
    assert code == 0, output
    proof = json.loads(output)
    # The entry commits to the purpose ("panel preparation 2") without holding it.
    assert set(proof["entry"]["detail"]) == {"fields", "purpose_digest"}
    code, said = _standalone(tmp_path, "inclusion", proof, key.strip())
    assert code == 0 and said.startswith("OK: entry 7 is in the log of 20 entries signed at"), said

    doctored = {**proof["entry"], "actor": "someone-else"}
    leaf = json.dumps(doctored, sort_keys=True, separators=(",", ":")).encode()
    forged = {**proof, "entry": doctored, "leaf": base64.b64encode(leaf).decode()}
    code, said = _standalone(tmp_path, "inclusion", forged, key.strip())
    assert code == 1 and "not in the tree" in said

    code, output = await _invoke(cli, "audit", "prove", "21", "--token", _token(AUDITOR))
    assert code == 1 and "no checkpoint covers that entry yet" in output


async def test_a_consistency_proof_checks_out_alone_and_a_forged_checkpoint_does_not(
    logged: Pool, cli: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    _, key = await _invoke(cli, "audit", "key")
    code, output = await _invoke(cli, "audit", "consistency", "5", "20", "--token", _token(AUDITOR))
    assert code == 0, output
    proof = json.loads(output)
    code, said = _standalone(tmp_path, "consistency", proof, key.strip())
    assert code == 0 and "extends the log of 5" in said, said

    checkpoint = proofcheck.VerifierKey.parse(key).check(proof["new"])
    resigned = forger(settings.audit_log.origin).sign(20, checkpoint.root, datetime.now(UTC))
    code, said = _standalone(tmp_path, "consistency", {**proof, "new": resigned}, key.strip())
    assert code == 1 and "not signed by" in said, said


def _redacted(referral_id: uuid.UUID) -> EventEnvelope:
    event = CaseRedacted(
        referral_id=referral_id, reference="PRV-2026-000417", stage=Stage.REDACTED, area="camden"
    )
    return event.envelope(event_id=uuid.uuid4(), source="/tests", time=datetime.now(UTC))


async def _read(pool: Pool, referral_id: uuid.UUID, purpose: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await record_read(
            conn,
            service="panel",
            principal=OFFICER,
            referral_id=referral_id,
            fields=["form"],
            purpose=purpose,
        )


async def _holding(conn: Connection, text: str) -> dict[str, int]:
    """How many rows of each table of the audit schema hold `text` anywhere."""
    tables = await conn.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'audit' AND table_type = 'BASE TABLE'"
    )
    counts = {}
    for row in tables:
        name = row["table_name"]
        counts[name] = await conn.fetchval(
            f'SELECT count(*) FROM audit."{name}" AS t WHERE strpos(t::text, $1) > 0',  # noqa: S608 - catalogue names
            text,
        )
    return {name: count for name, count in counts.items() if count}


async def test_an_erased_case_loses_the_purposes_of_its_reads_and_its_proofs_still_hold(
    settings: Settings, cli: CliRunner, tmp_path: Path
) -> None:
    case, other = uuid.uuid4(), uuid.uuid4()
    said = "Sam Jones's teacher rang about him"
    pool = await create_pool(settings)
    try:
        await _read(pool, case, said)
        await _read(pool, other, said)
        await sequence_all(pool, settings)
        async with pool.acquire() as conn:
            # The signed log never holds the text: only the access log does.
            assert await _holding(conn, said) == {"access_log": 2}
            # Before erasure an auditor sees why, and the signed log vouches for it.
            _, [read] = await page_of_reads(conn, case, limit=10)
            assert (read.purpose, read.purpose_matches_log, read.fields) == (said, True, ["form"])

            await handle_event(conn, _redacted(case))
            _, [erased] = await page_of_reads(conn, case, limit=10)
            assert erased.purpose is None and erased.purpose_erased_at is not None
            assert (erased.subject, erased.fields, erased.entry) == (
                "officer-17",
                ["form"],
                read.entry,
            )
            assert await _holding(conn, said) == {"access_log": 1}  # the other case's read
            salts = "SELECT count(purpose_salt) FROM audit.access_log WHERE referral_id = $1"
            assert await conn.fetchval(salts, case) == 0
        # A read of the erased case keeps no purpose from the start.
        await _read(pool, case, said)
        await sequence_all(pool, settings)
        async with pool.acquire() as conn:
            assert await _holding(conn, said) == {"access_log": 1}
    finally:
        await pool.close()

    code, output = await _invoke(cli, "audit", "verify", "--token", _token(AUDITOR))
    assert code == 0, output
    _, key = await _invoke(cli, "audit", "key")
    code, output = await _invoke(cli, "audit", "prove", str(read.entry), "--token", _token(AUDITOR))
    assert code == 0, output
    code, checked = _standalone(tmp_path, "inclusion", json.loads(output), key.strip())
    assert code == 0 and checked.startswith(f"OK: entry {read.entry} is in the log"), checked
