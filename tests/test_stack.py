"""The embedded stack against the real binaries: up, status, idempotent up, down, restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from safeguard.settings import StackPorts
from safeguard.stack import ComponentStatus, Stack, StackError, fetch_kafka_classpath
from safeguard.stack.process import read_pid

# Keycloak has its own tests (tests/stack/test_keycloak.py): these leave it out.
COMPONENTS = ("postgres", "kafka", "temporal")


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports free right now, below Linux's ephemeral range.

    Staying under 32768 keeps them clear of the random ports the OS hands to client sockets
    and to servers that ask for port 0 (Temporal's dev server does, for its internal services).
    """
    ports: set[int] = set()
    while len(ports) < count:
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.add(port)
    return sorted(ports)


def stack_ports() -> StackPorts:
    pg, kafka, controller, temporal, ui = free_ports(5)
    return StackPorts(
        postgres=pg, kafka=kafka, kafka_controller=controller, temporal=temporal, temporal_ui=ui
    )


def pid_files(data_dir: Path) -> list[Path]:
    return sorted(data_dir.glob("run/*.pid"))


def kill_leftovers(data_dir: Path) -> None:
    """Last resort after a failed `down`: SIGKILL whatever the pid files name."""
    for pid_file in pid_files(data_dir):
        pid = read_pid(pid_file)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    data_dir = tmp_path_factory.mktemp("stack")
    stack = Stack(data_dir=data_dir, ports=stack_ports(), components=COMPONENTS)
    try:
        yield stack
    finally:
        try:
            await stack.down(timeout=30)
        finally:
            kill_leftovers(data_dir)


def pids(statuses: list[ComponentStatus]) -> dict[str, int | None]:
    return {s.name: s.pid for s in statuses}


async def test_up_starts_every_component_healthy(stack: Stack) -> None:
    statuses = await stack.up(timeout=120)

    assert [s.name for s in statuses] == list(COMPONENTS)
    for status in statuses:
        assert status.running and status.healthy, status
        assert status.pid is not None and psutil.pid_exists(status.pid)
        assert status.log_path.is_file()
    assert {s.name: s.endpoint for s in statuses} == {
        "postgres": stack.postgres_dsn().split("@")[1].split("/")[0],
        "kafka": stack.kafka_bootstrap(),
        "temporal": stack.temporal_address(),
    }
    assert statuses[2].detail == f"Web UI http://127.0.0.1:{stack.ports.temporal_ui}"


async def test_second_up_is_a_noop_and_status_is_healthy(stack: Stack) -> None:
    first = await stack.up(timeout=120)
    second = await stack.up(timeout=120)
    status = await stack.status()

    assert pids(second) == pids(first)
    assert pids(status) == pids(first)
    assert all(s.healthy for s in status)


async def test_kafka_takes_idempotent_writes_and_group_reads(stack: Stack) -> None:
    await stack.up(timeout=120)
    topic = f"stack-check-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()

    producer = AIOKafkaProducer(
        bootstrap_servers=stack.kafka_bootstrap(), enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, f"m{i}".encode(), key=b"case-1")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=stack.kafka_bootstrap(),
        group_id=f"{topic}-group",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        received: list[bytes] = []
        async with asyncio.timeout(30):
            while len(received) < 5:
                batches = await consumer.getmany(timeout_ms=500)
                received += [m.value for msgs in batches.values() for m in msgs]
        await consumer.commit()
    finally:
        await consumer.stop()
    assert received == [f"m{i}".encode() for i in range(5)]


async def test_down_stops_processes_and_keeps_data_for_the_next_up(stack: Stack) -> None:
    before = pids(await stack.up(timeout=120))
    conn = await asyncpg.connect(stack.postgres_dsn())
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS survivor (note text)")
        await conn.execute("INSERT INTO survivor VALUES ('kept across down and up')")
    finally:
        await conn.close()

    stopped = await stack.down(timeout=30)

    assert sorted(stopped) == sorted(COMPONENTS)
    for pid in before.values():
        assert pid is not None and not psutil.pid_exists(pid)
    assert not any(s.running for s in await stack.status())

    # Two concurrent `up`s on one data dir (two terminals, two test workers) start it once.
    twin = Stack(data_dir=stack.data_dir, ports=stack.ports, components=COMPONENTS)
    first, second = await asyncio.gather(stack.up(timeout=120), twin.up(timeout=120))
    after = pids(first)
    assert pids(second) == after
    assert set(after.values()).isdisjoint(before.values())
    conn = await asyncpg.connect(stack.postgres_dsn())
    try:
        notes = await conn.fetch("SELECT note FROM survivor")
    finally:
        await conn.close()
    assert [r["note"] for r in notes] == ["kept across down and up"]


async def test_taken_port_is_named_and_nothing_starts(tmp_path: Path) -> None:
    ports = stack_ports()
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", ports.kafka))
        squatter.listen()
        stack = Stack(data_dir=tmp_path, ports=ports, components=COMPONENTS)

        with pytest.raises(StackError, match=f"port {ports.kafka} for kafka is taken by pid"):
            await stack.up(timeout=30)

    assert not any(s.running for s in await stack.status())
    assert pid_files(tmp_path) == []


def test_missing_java_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(StackError, match="java not found on PATH"):
        fetch_kafka_classpath(data_dir=tmp_path)
