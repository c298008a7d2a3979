"""bench/statistics: the statistics read model and release over ten years of referrals.

On its own PostgreSQL and Kafka (free ports, a temporary data dir), with referrals drawn by the
national shares (tests/synthetic.py) over the financial years 2015-16 to 2024-25 and spread
over the area table's areas, it prints, from one run:

* the time to build the read model from the lifecycle events (referral.submitted, the gateway's
  outcome, the panel's decision) through Kafka and the service's real consumer, beside the bare
  `COPY` of the same fact rows into a table of the same shape (the floor of writing them);
* the time to protect the year's tables of every area, police force area and region together
  (what the protector does in the background when a period is asked for or its counts
  change), beside protecting each scope's tables on its own (no cover across scopes), and
  the same for the Prevent lead's figures;
* p50/p99 of the full annual release for England and Wales (`GET .../release.ods`: the SQL,
  the tables, the spreadsheet) and of one area's tables (`GET ...?scope=area:...`, served from
  the stored protection), each beside the bare SQL aggregate the tables are made from;
* p50/p99 of one area's dashboard (`GET /v1/dashboard?scope=area:...`: the Prevent lead's
  figures, served from the stored protection), beside its bare SQL queries.

Age group and gender are set straight in the fact rows (intake is not run): the filler's calls
to intake are not part of these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import math
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).parent.parent))
from inbox import free_ports  # noqa: E402
from summary import figure  # noqa: E402

from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set  # noqa: E402
from safeguard.background import running  # noqa: E402
from safeguard.codes import DecisionBasis, GatewayOutcome, Role, Stage  # noqa: E402
from safeguard.db.migrate import migrate  # noqa: E402
from safeguard.db.pool import Pool, create_pool  # noqa: E402
from safeguard.events import contracts as ev  # noqa: E402
from safeguard.events.topics import REFERRAL_EVENTS  # noqa: E402
from safeguard.kafka.admin import create_topics  # noqa: E402
from safeguard.kafka.consumer import EventConsumer  # noqa: E402
from safeguard.kafka.producer import create_producer  # noqa: E402
from safeguard.settings import Settings, StackPorts  # noqa: E402
from safeguard.stack import Stack  # noqa: E402
from safeguard.statistics.areas import Level, shipped_areas  # noqa: E402
from safeguard.statistics.categories import AGE_SCHEMES, RECENT_AGES  # noqa: E402
from safeguard.statistics.disclosure import protect  # noqa: E402
from safeguard.statistics.hierarchy import hierarchy_of  # noqa: E402
from safeguard.statistics.periods import bounds, parse_period  # noqa: E402
from safeguard.statistics.release import build_release  # noqa: E402
from services.statistics import dashboard_store, store  # noqa: E402
from services.statistics.app import create_app  # noqa: E402
from services.statistics.events import CONSUMER, handle_event  # noqa: E402
from services.statistics.protection import every_scope, protect_period, scope_of  # noqa: E402
from services.statistics.protection_store import DASHBOARD  # noqa: E402
from tests.servers import serve  # noqa: E402
from tests.synthetic import Profile, mix, population  # noqa: E402

FIRST_DAY = dt.datetime(2015, 4, 1, tzinfo=dt.UTC)
DAYS = (dt.datetime(2025, 4, 1, tzinfo=dt.UTC) - FIRST_DAY).days
YEAR = "2024-25"
AREA = "E08000003"
OUTCOMES = {
    "nfa": GatewayOutcome.NO_FURTHER_ACTION,
    "signposted": GatewayOutcome.SIGNPOSTED,
    "panel_not_adopted": GatewayOutcome.REFERRED_TO_CHANNEL,
    "panel_adopted": GatewayOutcome.REFERRED_TO_CHANNEL,
}


def lifecycle(
    profile: Profile, referral_id: uuid.UUID, area: str, at: dt.datetime
) -> list[tuple[ev.DomainEvent, dt.datetime]]:
    """The events that count: submitted, the gateway's outcome, the panel's decision."""
    base = {"referral_id": referral_id, "reference": f"PRV-{referral_id.hex[:10]}", "area": area}
    events: list[tuple[ev.DomainEvent, dt.datetime]] = [
        (
            ev.ReferralSubmitted(
                **base,
                stage=Stage.GATEWAY_ASSESSMENT,
                sector=profile.sector,
                concern_type=profile.concern_type,
                # Five working days, roughly: the dashboard's target.
                assessment_due_at=at + dt.timedelta(days=7),
            ),
            at,
        ),
        (
            ev.GatewayAssessmentRecorded(
                **base,
                stage=Stage.CLOSED,
                actor_role=Role.PREVENT_OFFICER,
                outcome=OUTCOMES[profile.outcome],
            ),
            at + dt.timedelta(days=4),
        ),
    ]
    if profile.outcome.startswith("panel"):
        decision = ev.PanelDecisionRecorded(
            **base,
            stage=Stage.SUPPORT_ACTIVE,
            actor_role=Role.CHANNEL_CHAIR,
            adopted=profile.outcome == "panel_adopted",
            basis=DecisionBasis.UNANIMOUS,
            attendee_count=6,
            conflicts_declared=0,
        )
        events.append((decision, at + dt.timedelta(days=40)))
    return events


async def publish(settings: Settings, events: list[tuple[ev.DomainEvent, dt.datetime]]) -> None:
    """Every event onto the topic, keyed by referral, pipelined."""
    producer = create_producer(settings)
    await producer.start()
    try:
        futures = []
        for event, at in events:
            envelope = event.envelope(event_id=uuid.uuid4(), source="/bench", time=at)
            futures.append(
                await producer.send(
                    settings.topic(REFERRAL_EVENTS),
                    value=envelope.to_bytes(),
                    key=envelope.partition_key,
                )
            )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def build(settings: Settings, pool: Pool, referrals: int) -> float:
    """Seconds for the real consumer to project every event into the fact rows."""
    consumer = EventConsumer(
        settings=settings, pool=pool, name=CONSUMER, topics=[REFERRAL_EVENTS], handler=handle_event
    )

    async def done() -> int:
        async with pool.acquire() as conn:
            count: int = await conn.fetchval(
                "SELECT count(*) FROM statistics.referrals WHERE gateway_outcome IS NOT NULL"
                " AND (gateway_outcome <> 'REFERRED_TO_CHANNEL' OR discussed_at IS NOT NULL)"
            )
        return count

    start = time.perf_counter()
    async with running(consumer.run()):
        await wait_for(done, lambda n: n >= referrals, within=3600)
    return time.perf_counter() - start


async def copy_floor(pool: Pool) -> float:
    """Seconds to COPY the built fact rows into an empty table of the same shape."""
    async with pool.acquire() as conn:
        # Without age_groups (still empty here): asyncpg's COPY has no binary jsonb encoder.
        rows = await conn.fetch("SELECT * FROM statistics.referrals")
        columns = [c for c in rows[0].keys() if c != "age_groups"]
        await conn.execute(
            "CREATE TABLE statistics.floor (LIKE statistics.referrals INCLUDING ALL)"
        )
        start = time.perf_counter()
        await conn.copy_records_to_table(
            "floor",
            schema_name="statistics",
            records=[tuple(r[c] for c in columns) for r in rows],
            columns=columns,
        )
        return time.perf_counter() - start


async def set_demographics(pool: Pool, people: dict[uuid.UUID, Profile]) -> None:
    """Age groups and gender as the filler would keep them (intake not run here)."""
    records = []
    for referral_id, p in people.items():
        age = p.age_group.youngest + (p.age_group.oldest - p.age_group.youngest) // 2
        groups = {code: scheme.group_of(age) for code, scheme in AGE_SCHEMES.items()}
        records.append(store.Demographics(referral_id, groups, p.gender, erased=False))
    async with pool.acquire() as conn:
        for start in range(0, len(records), 5000):
            await store.set_demographics(conn, records[start : start + 5000])


async def timed(call: Callable[[], Awaitable[object]], rounds: int) -> list[float]:
    """Milliseconds of each of `rounds` sequential calls (after two warm-up calls)."""
    for _ in range(2):
        await call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def quantiles(times: list[float]) -> tuple[float, float]:
    """p50 and p99 (nearest rank)."""
    ordered = sorted(times)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return rank(0.50), rank(0.99)


async def protection(settings: Settings, pool: Pool) -> None:
    """The year's tables of every scope protected together, as the protector stores them,
    beside each scope's protected on its own."""
    year, threshold = parse_period(YEAR), settings.statistics.suppression_threshold
    start = time.perf_counter()
    await protect_period(pool, period=year, kind=RECENT_AGES.code, settings=settings)
    together = time.perf_counter() - start
    table = shipped_areas()
    async with pool.acquire() as conn:
        counts_of = await every_scope(
            conn, table, hierarchy_of(table), period=year, ages=RECENT_AGES
        )
    start = time.perf_counter()
    for node, counts in counts_of.items():
        scope = scope_of(table, node)
        protect(build_release(counts, period=year, scope=scope, ages=RECENT_AGES), threshold)
    alone = time.perf_counter() - start
    print(
        f"  {f'a year protected, {len(counts_of)} scopes together':<44} {together:8.1f} s"
        f"  (each scope alone: {alone:.1f} s)"
    )
    figure("a year's scopes protected together", together, unit="s", baseline=alone, better="lower")
    start = time.perf_counter()
    await protect_period(pool, period=year, kind=DASHBOARD, settings=settings)
    dashboards = time.perf_counter() - start
    print(f"  {'the same for the dashboard (every scope)':<44} {dashboards:8.1f} s")
    figure("a year's dashboards protected together", dashboards, unit="s")


async def latencies(settings: Settings, pool: Pool, key: dict[str, object], rounds: int) -> None:
    """The release through the API beside the bare aggregate, nationally and for one area, and
    one area's dashboard beside its bare queries."""
    principal = StaffPrincipal(subject="operator-1", role=Role.OPERATOR)
    token = mint(
        key, principal=principal, issuer="safeguard-dev", audience="safeguard", ttl_seconds=3600
    )
    served = settings.model_copy(update={"staff_jwks": SecretStr(json.dumps(public_key_set(key)))})
    start, end = bounds(parse_period(YEAR))
    area = shipped_areas().scope(Level.AREA, AREA)
    async with (
        serve(create_app(served, consume=False)) as url,
        httpx.AsyncClient(base_url=url, timeout=120) as http,
    ):
        headers = {"Authorization": f"Bearer {token}"}

        async def national() -> None:
            answer = await http.get(f"/v1/releases/{YEAR}/release.ods", headers=headers)
            answer.raise_for_status()

        async def one_area() -> None:
            answer = await http.get(
                f"/v1/releases/{YEAR}", params={"scope": f"area:{AREA}"}, headers=headers
            )
            answer.raise_for_status()

        async def bare(areas: list[str] | None) -> None:
            async with pool.acquire() as conn:
                await store.counts(conn, start=start, end=end, areas=areas, scheme="recent")

        async def dashboard() -> None:
            answer = await http.get(
                "/v1/dashboard", params={"period": YEAR, "scope": f"area:{AREA}"}, headers=headers
            )
            answer.raise_for_status()

        async def bare_dashboard() -> None:
            now = dt.datetime.now(dt.UTC)
            async with pool.acquire() as conn:
                await dashboard_store.gateway(conn, start=start, end=end, areas=[AREA])
                await dashboard_store.open_tasks(conn, now=now, areas=[AREA])
                await dashboard_store.consents(conn, start=start, end=end, areas=[AREA])
                await dashboard_store.reviews(conn, start=start, end=end, areas=[AREA])
                await dashboard_store.referrals(conn, start=start, end=end, areas=[AREA])
                await dashboard_store.stage_days(conn, start=start, end=end, areas=[AREA])

        rows = [
            ("annual release, England and Wales (ODS)", national, lambda: bare(None)),
            (f"one area's tables ({area.name}, JSON)", one_area, lambda: bare([AREA])),
            (f"one area's dashboard ({area.name}, JSON)", dashboard, bare_dashboard),
        ]
        for label, ours, baseline in rows:
            mine, floor = (
                quantiles(await timed(ours, rounds)),
                quantiles(await timed(baseline, rounds)),
            )
            print(
                f"  {label:<44} p50 {mine[0]:8.1f} ms  p99 {mine[1]:8.1f} ms"
                f"   (bare aggregate p50 {floor[0]:6.1f} ms  p99 {floor[1]:6.1f} ms)"
            )
            short = label.split(" (")[0].removeprefix("one area's ")
            short = "annual release" if "England" in label else f"one area's {short}"
            figure(f"{short} p50", mine[0], unit="ms", baseline=floor[0], better="lower")
            figure(f"{short} p99", mine[1], unit="ms", baseline=floor[1], better="lower")


async def wait_for(
    probe: Callable[[], Awaitable[int]], done: Callable[[int], bool], *, within: float
) -> None:
    """Poll `probe` until `done` holds."""
    deadline = time.monotonic() + within
    while not done(await probe()):
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark stalled")
        await asyncio.sleep(0.5)


async def main(referrals: int, rounds: int) -> None:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per timed request otherwise
    root = Path(tempfile.mkdtemp(prefix="safeguard-bench-statistics-"))
    pg, kafka, controller = free_ports(3)
    ports = StackPorts(postgres=pg, kafka=kafka, kafka_controller=controller)
    stack = Stack(data_dir=root / "data", ports=ports, components=("postgres", "kafka"))
    try:
        await stack.up()
        await migrate(stack.postgres_dsn())
        settings = Settings(
            environment="test",
            data_dir=root,
            database_url=stack.postgres_dsn(),
            kafka_bootstrap_servers=stack.kafka_bootstrap(),
        )
        await create_topics(settings)
        rng = random.Random(18)
        areas = sorted(shipped_areas().areas)
        people = population(referrals, seed=18)
        ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in people]
        events = [
            e
            for referral_id, p in zip(ids, people, strict=True)
            for e in lifecycle(
                p,
                referral_id,
                rng.choice(areas),
                FIRST_DAY + dt.timedelta(seconds=rng.randrange(DAYS * 86400)),
            )
        ]
        print(f"statistics bench: {os.cpu_count()} CPUs; {referrals:,} referrals over ten years,")
        print(f"  {len(events):,} events, {len(areas)} areas; shares drawn:\n{mix(people)}")
        await publish(settings, events)
        pool = await create_pool(settings)
        try:
            built = await build(settings, pool, referrals)
            floor = await copy_floor(pool)
            print(
                f"  {'read model built from the events':<44} {built:8.1f} s"
                f"  ({len(events) / built:,.0f} events/s; COPY of the same rows {floor:.2f} s)"
            )
            figure("read model build", built, unit="s", baseline=floor, better="lower")
            await set_demographics(pool, dict(zip(ids, people, strict=True)))
            await protection(settings, pool)
            await latencies(settings, pool, development_signing_key(root), rounds)
        finally:
            await pool.close()
    finally:
        await stack.down()
        shutil.rmtree(root, ignore_errors=True)


def cli() -> None:
    """Parse the arguments and run."""
    # bench/all's summary names a bench by its script (bench/statistics, which runs this).
    sys.argv[0] = str(Path(__file__).with_name("statistics"))
    parser = argparse.ArgumentParser(prog="bench/statistics", description=__doc__)
    parser.add_argument("--referrals", type=int, default=90_000, help="referrals over ten years")
    parser.add_argument("--requests", type=int, default=100, help="timed calls of each kind")
    args = parser.parse_args()
    asyncio.run(main(args.referrals, args.requests))


if __name__ == "__main__":
    cli()
