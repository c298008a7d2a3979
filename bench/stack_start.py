"""How long the embedded stack takes to fetch, cold-start and warm-start, and how much RAM it uses.

Uses its own temporary data dir, Maven repository (for Kafka's jars), per-user cache (so Keycloak
is unpacked and `kc.sh build`-optimised as on a first run) and free ports; brings the stack down
and deletes them at the end. Keycloak's zip itself comes from ~/.m2 (not downloaded again).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import psutil

from safeguard.settings import ServicePorts, Settings, StackPorts
from safeguard.stack import ComponentStatus, Stack, fetch_kafka_classpath, fetch_keycloak_zip
from safeguard.stack.java import find_java_home
from safeguard.stack.keycloak import JAVA_HOME_SETTING, MIN_JAVA
from safeguard.stack.keycloak_dist import ensure_distribution
from safeguard.stack.process import tree_rss

sys.path.insert(0, str(Path(__file__).parent))
from summary import figure  # noqa: E402

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


async def timed(label: str, awaitable: Awaitable[T], headline: str | None = None) -> T:
    """Await `awaitable` and print how long it took (a headline figure when named)."""
    start = time.perf_counter()
    result = await awaitable
    seconds = time.perf_counter() - start
    print(f"{label:<50} {seconds:7.2f} s")
    if headline:
        figure(headline, seconds, unit="s", better="lower")
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


def print_memory(statuses: list[ComponentStatus], headline: str) -> None:
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
    figure(headline, pss_total / MIB, unit="MiB PSS", better="lower")


def bench_settings(root: Path) -> Settings:
    """Free ports for every component and for the web client Keycloak's realm registers."""
    pg, kafka, controller, temporal, ui, keycloak, management, web = free_ports(8)
    ports = StackPorts(
        postgres=pg,
        kafka=kafka,
        kafka_controller=controller,
        temporal=temporal,
        temporal_ui=ui,
        keycloak=keycloak,
        keycloak_management=management,
    )
    return Settings(data_dir=root / "data", stack=ports, services=ServicePorts(web=web))


async def fetch_and_build(root: Path) -> None:
    """Kafka's jars into an empty repository, then again from ~/.m2; Keycloak unpacked and built."""
    await timed(
        "maven download of kafka (empty local repository)",
        asyncio.to_thread(
            fetch_kafka_classpath, data_dir=root / "download", local_repo=root / "m2"
        ),
    )
    downloaded = sum(f.stat().st_size for f in (root / "m2").rglob("*") if f.is_file())
    print(f"  downloaded into the empty repository: {downloaded / MIB:.1f} MiB")
    await timed(
        "maven resolve of kafka (jars cached in ~/.m2)",
        asyncio.to_thread(fetch_kafka_classpath, data_dir=root / "data"),
    )
    await timed("maven resolve of keycloak (zip in ~/.m2)", asyncio.to_thread(fetch_keycloak_zip))
    java_home = find_java_home(
        MIN_JAVA, configured=None, setting=JAVA_HOME_SETTING, needed_by="Keycloak"
    )
    await timed(
        "keycloak unpack + kc.sh build (once per user)",
        asyncio.to_thread(
            ensure_distribution, java_home=java_home, log_path=root / "keycloak-build.log"
        ),
    )


async def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="safeguard-bench-"))
    # A cache of our own: the Keycloak build is timed as on a first run, the user's is untouched.
    os.environ["XDG_CACHE_HOME"] = str(root / "cache")
    settings = bench_settings(root)
    stack = Stack(data_dir=settings.data_dir, ports=settings.stack, settings=settings)
    try:
        await fetch_and_build(root)
        statuses = await timed(
            "cold start (initdb, format, realm import)", stack.up(timeout=600), "cold start"
        )
        # Let the JVMs and the dev server settle before sampling memory.
        await asyncio.sleep(5)
        print_memory(await stack.status(), "stack memory after cold start")
        await timed("down", stack.down())
        statuses = await timed("warm start (after down)", stack.up(timeout=600), "warm start")
        await asyncio.sleep(5)
        print_memory(statuses, "stack memory after warm start")
    finally:
        await stack.down()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__).parse_args()
    asyncio.run(main())
