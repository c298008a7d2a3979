"""How long the embedded stack takes to fetch, cold-start and warm-start, and how much RAM it uses.

Uses its own temporary data dir, Maven repository and free ports; brings the stack down and
deletes them at the end.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import socket
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import psutil

from safeguard.settings import StackPorts
from safeguard.stack import ComponentStatus, Stack, fetch_kafka_classpath
from safeguard.stack.process import tree_rss

T = TypeVar("T")
MIB = 1024 * 1024


def free_ports(count: int) -> list[int]:
    """Free loopback ports below the ephemeral range (clear of ports the OS hands out)."""
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


async def timed(label: str, awaitable: Awaitable[T]) -> T:
    """Await `awaitable` and print how long it took."""
    start = time.perf_counter()
    result = await awaitable
    print(f"{label:<44} {time.perf_counter() - start:7.2f} s")
    return result


def tree_pss(pid: int) -> int:
    """Proportional set size of a process tree: shared pages (postgres's buffers) counted once."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss
        except psutil.Error:
            pass
    return total


def print_memory(statuses: list[ComponentStatus]) -> None:
    """Resident memory of each component's process tree (RSS summed, and PSS)."""
    rss_total = pss_total = 0
    for status in statuses:
        rss = tree_rss(status.pid) if status.pid else 0
        pss = tree_pss(status.pid) if status.pid else 0
        rss_total, pss_total = rss_total + rss, pss_total + pss
        print(
            f"  {status.name:<10} RSS {rss / MIB:7.1f} MiB   PSS {pss / MIB:7.1f} MiB"
            f"   (pid {status.pid})"
        )
    print(f"  {'total':<10} RSS {rss_total / MIB:7.1f} MiB   PSS {pss_total / MIB:7.1f} MiB")


async def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="safeguard-bench-"))
    pg, kafka, controller, temporal, ui = free_ports(5)
    ports = StackPorts(
        postgres=pg, kafka=kafka, kafka_controller=controller, temporal=temporal, temporal_ui=ui
    )
    stack = Stack(data_dir=root / "data", ports=ports)
    try:
        await timed(
            "maven download (empty local repository)",
            asyncio.to_thread(
                fetch_kafka_classpath, data_dir=root / "download", local_repo=root / "m2"
            ),
        )
        downloaded = sum(f.stat().st_size for f in (root / "m2").rglob("*") if f.is_file())
        print(f"  downloaded into the empty repository: {downloaded / MIB:.1f} MiB")
        await timed(
            "maven resolve (jars cached in ~/.m2)",
            asyncio.to_thread(fetch_kafka_classpath, data_dir=root / "data"),
        )
        statuses = await timed("cold start (initdb, format, first start)", stack.up())
        # Let the JVM and the dev server settle before sampling memory.
        await asyncio.sleep(5)
        print_memory(await stack.status())
        await timed("down", stack.down())
        statuses = await timed("warm start (after down)", stack.up())
        await asyncio.sleep(5)
        print_memory(statuses)
    finally:
        await stack.down()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
