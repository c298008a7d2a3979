"""Session-wide real services (PostgreSQL, Kafka, Temporal, Keycloak) and per-test isolation."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from safeguard.db.migrate import migrate
from safeguard.kafka.admin import create_topics
from safeguard.settings import AuditLogSettings, Settings, StackPorts
from safeguard.stack import Stack
from tests.helpers import free_port
from tests.keycloak_server import KeycloakServer, running_keycloak
from tests.temporal_server import start_time_skipping_server

TEMPLATE_DB = "safeguard_template"

# What a test builds on default settings (an app for its OpenAPI, a child process) keeps its
# files (span files, keys, mail) here, never in the developer's own `.data` of `make run`.
SESSION_DATA_DIR = Path(tempfile.mkdtemp(prefix="safeguard-tests-"))
os.environ["SAFEGUARD_DATA_DIR"] = str(SESSION_DATA_DIR)


def pytest_sessionfinish() -> None:
    """The session's default data directory goes with the session."""
    shutil.rmtree(SESSION_DATA_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """PostgreSQL and Kafka, started once for the session on free ports."""
    ports = StackPorts(postgres=free_port(), kafka=free_port(), kafka_controller=free_port())
    data_dir: Path = tmp_path_factory.mktemp("stack")
    services = Stack(data_dir=data_dir, ports=ports, components=("postgres", "kafka"))
    try:
        await services.up()
        yield services
    finally:
        await services.down()


@pytest.fixture(scope="session")
async def clamd(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """The stack's ClamAV daemon alone (on its EICAR-only database here), once per session."""
    scanner = Stack(
        data_dir=tmp_path_factory.mktemp("clamd"),
        ports=StackPorts(clamd=free_port()),
        components=("clamd",),
    )
    try:
        await scanner.up()
        yield scanner
    finally:
        await scanner.down()


@pytest.fixture(scope="session")
async def keycloak(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[KeycloakServer]:
    """The stack's Keycloak alone, once per session, on free ports in its own data dir.

    Its realm's web client redirects to `keycloak.web_port`, chosen free for the web tests.
    """
    async with running_keycloak(tmp_path_factory.mktemp("keycloak")) as server:
        yield server


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """A Temporal dev server with per-workflow time skipping (moved by `env.fast_forward`)."""
    env = await start_time_skipping_server()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def temporal_client(temporal_env: WorkflowEnvironment) -> Client:
    """The session's Temporal client (it stamps time skipping on workflows it starts)."""
    return temporal_env.client


@pytest.fixture(scope="session")
async def template_database(stack: Stack) -> str:
    """A migrated database that each test copies."""
    admin = await asyncpg.connect(stack.postgres_dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    finally:
        await admin.close()
    await migrate(_dsn_for(stack, TEMPLATE_DB))
    return TEMPLATE_DB


def _dsn_for(stack: Stack, database: str) -> str:
    return stack.postgres_dsn().rsplit("/", 1)[0] + f"/{database}"


@pytest.fixture
async def settings(stack: Stack, template_database: str, tmp_path: Path) -> Settings:
    """Settings isolating this test: its own database, topic prefix and task queue."""
    token = uuid.uuid4().hex[:12]
    database = f"test_{token}"
    admin = await asyncpg.connect(stack.postgres_dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template_database}"')
    finally:
        await admin.close()
    await _spread_references(_dsn_for(stack, database))
    settings = Settings(
        environment="test",
        database_url=_dsn_for(stack, database),
        kafka_bootstrap_servers=stack.kafka_bootstrap(),
        kafka_topic_prefix=f"t{token}.",
        kafka_consumer_group_prefix=f"t{token}",
        temporal_task_queue=f"referrals-{token}",
        # Each test's log has its own write-once checkpoints (sizes repeat across tests).
        audit_log=AuditLogSettings(
            checkpoint_dir=tmp_path / "audit-checkpoints", checkpoint_seconds=0.5
        ),
    )
    await create_topics(settings)
    return settings


_reference_blocks = itertools.count(start=1)


async def _spread_references(dsn: str) -> None:
    """Start this test's reference serials in a block of its own.

    Every test has a fresh database but the Temporal server is shared, and workflow ids come
    from references: without this, two tests would both issue PRV-<year>-000001.
    """
    conn = await asyncpg.connect(dsn)
    try:
        year = dt.datetime.now(dt.UTC).year
        start = next(_reference_blocks) * 1_000
        await conn.executemany(
            "INSERT INTO intake.reference_counters (year, last_serial) VALUES ($1, $2)",
            [(year, start), (year + 1, start)],
        )
    finally:
        await conn.close()
