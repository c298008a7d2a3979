"""Upload throughput and p99 through intake's attachments route, beside a plain copy.

Starts its own PostgreSQL, Kafka and clamd (temporary data dir, free ports) and the intake
service under uvicorn in its own process, as `safeguard run` does, with the local object store.
For 100 KiB and 10 MiB files it uploads one file after another (each typed, scanned by clamd,
sealed with the case's data key and stored, then recorded), and in the same run writes the same
bytes to a file in the same directory (write, fsync, close: what storing them costs at least),
giving throughput and p99 of each. Then it starts ten 10 MiB uploads at once and samples the
service's resident memory, giving its peak beside its memory at rest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from safeguard.db.migrate import migrate
from safeguard.kafka.admin import create_topics
from safeguard.settings import Settings, StackPorts
from safeguard.stack import Stack

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
import intake  # noqa: E402
from intake import free_ports, register_bench_client  # noqa: E402
from summary import figure  # noqa: E402

from services.intake.openapi import SCHOOL_REFERRAL  # noqa: E402

KIB = 1024
MIB = 1024 * KIB
SAMPLE_SECONDS = 0.01


@dataclass(frozen=True)
class Run:
    """Seconds each of a series of transfers took, and how many bytes each moved."""

    seconds: list[float]
    size: int

    @property
    def mib_per_second(self) -> float:
        return len(self.seconds) * self.size / MIB / sum(self.seconds)

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.seconds)
        return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]

    @property
    def p50_ms(self) -> float:
        return 1000 * statistics.median(self.seconds)


def document(size: int, n: int) -> bytes:
    """A PDF of `size` bytes whose body is random (nothing for a compressor or cache to share)."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n% upload " + str(n).encode() + b"\n"
    return head + os.urandom(size - len(head))


async def upload(http: httpx.AsyncClient, url: str, token: str, content: bytes) -> float:
    """One upload; its seconds."""
    began = time.perf_counter()
    answer = await http.post(
        url,
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("evidence.pdf", content, "application/pdf")},
        data={"document_type": "chronology", "title": "Benchmark evidence"},
    )
    elapsed = time.perf_counter() - began
    if answer.status_code != 201:
        raise RuntimeError(f"upload refused: {answer.status_code} {answer.text[:300]}")
    return elapsed


def plain_copy(directory: Path, content: bytes, n: int) -> float:
    """The same bytes written to a file beside the objects and flushed to disk; its seconds."""
    began = time.perf_counter()
    path = directory / f"plain-{n}"
    with path.open("wb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - began
    path.unlink()
    return elapsed


async def series(
    http: httpx.AsyncClient, url: str, token: str, size: int, count: int, plain_dir: Path
) -> tuple[Run, Run]:
    """`count` uploads and `count` plain copies of the same files, interleaved."""
    ours: list[float] = []
    plain: list[float] = []
    for n in range(count):
        content = document(size, n)
        ours.append(await upload(http, url, token, content))
        plain.append(await asyncio.to_thread(plain_copy, plain_dir, content, n))
    return Run(ours, size), Run(plain, size)


def rss(pid: int) -> int:
    """Resident bytes of the service process and its children."""
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])


async def peak_memory(
    http: httpx.AsyncClient, url: str, token: str, pid: int, at_once: int
) -> tuple[int, int, float]:
    """Resident memory at rest, its peak while `at_once` 10 MiB uploads run, and their time."""
    files = [document(10 * MIB, 1000 + n) for n in range(at_once)]
    at_rest = rss(pid)
    peak = at_rest
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss(pid))
            await asyncio.sleep(SAMPLE_SECONDS)

    sampler = asyncio.create_task(sample())
    began = time.perf_counter()
    await asyncio.gather(*(upload(http, url, token, content) for content in files))
    elapsed = time.perf_counter() - began
    done.set()
    await sampler
    return at_rest, peak, elapsed


async def start_intake(settings: Settings, port: int, root: Path) -> asyncio.subprocess.Process:
    """Intake in its own process (bench/intake's launcher), with its scanner, object store and
    spool under `root`."""
    (root / "spool").mkdir(parents=True, exist_ok=True)
    extra = {
        "SAFEGUARD_STACK__CLAMD": str(settings.stack.clamd),
        "SAFEGUARD_ATTACHMENTS__LOCAL_DIR": str(root / "objects"),
        "SAFEGUARD_ATTACHMENTS__SPOOL_DIR": str(root / "spool"),
    }
    return await intake.start_intake(settings, port, root / "intake.log", extra_env=extra)


def row(label: str, ours: Run, plain: Run) -> str:
    return (
        f"{label:<8} {ours.mib_per_second:9.1f} {ours.p50_ms:9.1f} {ours.p99_ms:9.1f}"
        f"   {plain.mib_per_second:9.1f} {plain.p50_ms:9.1f} {plain.p99_ms:9.1f}"
        f"   {ours.mib_per_second / plain.mib_per_second:6.3f}"
    )


async def measure(
    settings: Settings, url: str, token: str, root: Path, options: argparse.Namespace, pid: int
) -> None:
    plain_dir = root / "objects"
    plain_dir.mkdir(parents=True, exist_ok=True)
    async with httpx.AsyncClient(timeout=120) as http:
        answer = await http.post(
            f"{url}/v1/referrals",
            json=SCHOOL_REFERRAL,
            headers={"Authorization": f"Bearer {token}"},
        )
        answer.raise_for_status()
        upload_url = f"{url}/v1/referrals/{answer.json()['reference']}/attachments"
        await upload(http, upload_url, token, document(100 * KIB, -1))  # warm up
        small = await series(http, upload_url, token, 100 * KIB, options.small, plain_dir)
        large = await series(http, upload_url, token, 10 * MIB, options.large, plain_dir)
        at_rest, peak, elapsed = await peak_memory(http, upload_url, token, pid, options.at_once)
    print("          upload (typed, scanned, sealed, stored)   plain copy (write, fsync)")
    print("size       MiB/s    p50 ms    p99 ms       MiB/s    p50 ms    p99 ms    ratio")
    print(row("100 KiB", *small))
    print(row("10 MiB", *large))
    print(
        f"\n{options.at_once} x 10 MiB uploads at once: {elapsed:.1f} s; intake's resident memory"
        f" {at_rest / MIB:.0f} MiB at rest, peak {peak / MIB:.0f} MiB"
        f" (+{(peak - at_rest) / MIB:.0f} MiB for {options.at_once * 10} MiB in flight)"
    )
    for label, (ours, plain) in (("100 KiB", small), ("10 MiB", large)):
        figure(
            f"{label} upload MiB/s",
            ours.mib_per_second,
            unit="MiB/s",
            baseline=plain.mib_per_second,
        )
        figure(f"{label} upload p99", ours.p99_ms, unit="ms", baseline=plain.p99_ms, better="lower")
    figure(
        f"peak RSS, {options.at_once} x 10 MiB at once",
        peak / MIB,
        unit="MiB",
        baseline=at_rest / MIB,
        better="lower",
    )


async def main(options: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="safeguard-bench-attachments-"))
    pg, kafka, controller, clamd, intake_port = free_ports(5)
    ports = StackPorts(postgres=pg, kafka=kafka, kafka_controller=controller, clamd=clamd)
    settings = Settings(data_dir=root / "data", stack=ports)
    stack = Stack(
        data_dir=settings.data_dir, ports=ports, components=("postgres", "kafka", "clamd")
    )
    process: asyncio.subprocess.Process | None = None
    try:
        for status in await stack.up():
            if status.detail:
                print(f"{status.name}: {status.detail}")
        await migrate(settings.database_dsn())
        await create_topics(settings)
        process = await start_intake(settings, intake_port, root)
        token = await register_bench_client(settings)
        await measure(
            settings, f"http://127.0.0.1:{intake_port}", token, root, options, process.pid
        )
    finally:
        if process is not None:
            process.terminate()
            await process.wait()
        await stack.down()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=200, help="100 KiB uploads to time")
    parser.add_argument("--large", type=int, default=20, help="10 MiB uploads to time")
    parser.add_argument("--at-once", type=int, default=10, help="10 MiB uploads run together")
    asyncio.run(main(parser.parse_args()))
