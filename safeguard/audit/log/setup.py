"""The audit log's keys, checkpoint store and sequencer, from settings."""

from __future__ import annotations

from safeguard.audit.log.checkpoints import (
    CheckpointDirectory,
    Signer,
    VerifierKey,
    load_signing_key,
)
from safeguard.audit.log.sequencer import Sequencer
from safeguard.db.pool import Pool
from safeguard.settings import Settings


def signer_for(settings: Settings) -> Signer:
    """The checkpoint signer; in development its key is made under data_dir on first use."""
    config = settings.audit_log
    path = config.signing_key_file or settings.data_dir / "keys" / "audit-log.pem"
    create = config.signing_key_file is None and settings.environment != "production"
    return Signer(config.origin, load_signing_key(path, create=create))


def verifier_key_for(settings: Settings) -> VerifierKey:
    """The key checkpoints are checked with: as configured, else the signing key's public half."""
    configured = settings.audit_log.verifier_key
    return VerifierKey.parse(configured) if configured else signer_for(settings).verifier


def witness_for(settings: Settings) -> CheckpointDirectory:
    """The write-once store of checkpoints."""
    path = settings.audit_log.checkpoint_dir or settings.data_dir / "audit-checkpoints"
    return CheckpointDirectory(path)


def sequencer_for(pool: Pool, settings: Settings) -> Sequencer:
    """The sequencer a process runs (it sequences only while it holds the leader lock)."""
    return Sequencer(pool, signer_for(settings), settings.audit_log, witness_for(settings))
