"""The statistics read model and release, end to end: a scripted set of referrals submitted to
a real intake, their lifecycle events through real Kafka, the fact rows in real PostgreSQL, and
the tables (JSON, ODS, CSV) checked against counts worked out by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass
from typing import Any

from odf.opendocument import load
from odf.table import Table, TableCell, TableRow
from odf.text import P

from safeguard.codes import DecisionBasis, GatewayOutcome, Role, Stage
from safeguard.events import contracts as ev
from tests.helpers import assert_eventually
from tests.statistics.conftest import Statistics

MANCHESTER, LEEDS, WESTMINSTER = "E08000003", "E08000035", "E09000033"
LONDON = dt.timezone(dt.timedelta(hours=1))


@dataclass(frozen=True)
class Script:
    """One referral: who referred, what about, the person, and what became of it."""

    name: str
    received: dt.datetime
    area: str
    sector: str
    concern: str
    age: int
    gender: str | None
    outcome: GatewayOutcome | None = None
    adopted: bool | None = None  # a panel decision, for cases referred to Channel
    redacted: bool = False


SCRIPT = [
    Script(
        "R1",
        dt.datetime(2024, 5, 10, 9, tzinfo=dt.UTC),
        MANCHESTER,
        "education",
        "islamist",
        14,
        "male",
        GatewayOutcome.NO_FURTHER_ACTION,
    ),
    Script(
        "R2",
        dt.datetime(2024, 6, 3, 9, tzinfo=dt.UTC),
        MANCHESTER,
        "education",
        "extreme_right_wing",
        16,
        "male",
        GatewayOutcome.SIGNPOSTED,
    ),
    Script(
        "R3",
        dt.datetime(2024, 8, 1, 9, tzinfo=dt.UTC),
        MANCHESTER,
        "police",
        "islamist",
        19,
        "female",
        GatewayOutcome.REFERRED_TO_CHANNEL,
        adopted=True,
    ),
    Script(
        "R4",
        dt.datetime(2024, 11, 20, 9, tzinfo=dt.UTC),
        LEEDS,
        "health",
        "mixed_unclear_unstable",
        35,
        "male",
        GatewayOutcome.REFERRED_TO_CHANNEL,
        adopted=False,
    ),
    Script(
        "R5",
        dt.datetime(2025, 2, 14, 9, tzinfo=dt.UTC),
        LEEDS,
        "police",
        "extreme_right_wing",
        9,
        None,
    ),
    Script(
        "R6",
        dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC),
        WESTMINSTER,
        "education",
        "islamist",
        12,
        "female",
        GatewayOutcome.POLICE_LED,
    ),
    # 00:30 on 1 April in England (23:30 UTC on 31 March): in the next financial year.
    Script(
        "R7",
        dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.UTC),
        MANCHESTER,
        "education",
        "islamist",
        14,
        "male",
        GatewayOutcome.NO_FURTHER_ACTION,
    ),
    Script(
        "R8",
        dt.datetime(2024, 9, 9, 9, tzinfo=dt.UTC),
        MANCHESTER,
        "local_authority",
        "conflicted",
        45,
        "male",
        GatewayOutcome.NO_FURTHER_ACTION,
        redacted=True,
    ),
]


def _born(age: int) -> dt.date:
    today = dt.datetime.now(dt.UTC).date()
    return today.replace(year=today.year - age) - dt.timedelta(days=40)


def _events(s: Script, referral_id: uuid.UUID) -> list[tuple[ev.DomainEvent, dt.datetime]]:
    base: dict[str, Any] = {
        "referral_id": referral_id,
        "reference": f"PRV-{s.name}",
        "area": s.area,
    }
    hour = dt.timedelta(hours=1)
    events: list[tuple[ev.DomainEvent, dt.datetime]] = [
        (
            ev.ReferralSubmitted(
                **base, stage=Stage.GATEWAY_ASSESSMENT, sector=s.sector, concern_type=s.concern
            ),
            s.received,
        )
    ]
    if s.outcome is not None:
        events.append(
            (
                ev.GatewayAssessmentRecorded(
                    **base, stage=Stage.CLOSED, actor_role=Role.PREVENT_OFFICER, outcome=s.outcome
                ),
                s.received + 2 * hour,
            )
        )
    if s.adopted is not None:
        decision = ev.PanelDecisionRecorded(
            **base,
            stage=Stage.SUPPORT_ACTIVE,
            actor_role=Role.CHANNEL_CHAIR,
            adopted=s.adopted,
            basis=DecisionBasis.UNANIMOUS,
            attendee_count=5,
            conflicts_declared=0,
        )
        events.append((decision, s.received + 30 * 24 * hour))
    if s.redacted:
        events.append((ev.CaseRedacted(**base, stage=Stage.REDACTED), s.received + 40 * hour))
    if s.name == "R4":  # the panel's decision arrives before the referral: order-safe
        events.reverse()
    return events


async def _run_script(stats: Statistics) -> dict[str, uuid.UUID]:
    ids = {s.name: await stats.submit(born=_born(s.age), gender=s.gender) for s in SCRIPT}
    await stats.publish([e for s in SCRIPT for e in _events(s, ids[s.name])])

    async def settled() -> list[str]:
        async with stats.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT demographics FROM statistics.referrals WHERE received_at IS NOT NULL"
            )
        return [r["demographics"] for r in rows]

    await assert_eventually(
        settled, lambda found: len(found) == 8 and "pending" not in found, within=60
    )
    return ids


def _column(table: dict[str, Any], column: str) -> dict[str, Any]:
    at = table["columns"].index(column)
    return {
        row["label"]: row["cells"][at]["shorthand"] or row["cells"][at]["value"]
        for row in table["rows"]
    }


def _nonzero(column: dict[str, Any]) -> dict[str, Any]:
    return {label: n for label, n in column.items() if n != 0}


async def test_the_national_tables_count_the_scripted_referrals(statistics: Statistics) -> None:
    await _run_script(statistics)
    answer = await statistics.http.get(
        f"{statistics.url}/v1/releases/2024-25", headers=statistics.headers(Role.OPERATOR)
    )
    assert answer.status_code == 200, answer.text
    release = answer.json()
    tables = {t["title"].split(":", 1)[1].split(",", 1)[0].strip(): t for t in release["tables"]}
    assert release["suppressed_below"] is None  # national tables, as the Home Office's
    referrals = "Number of referrals"
    # R7 is in 2025-26 (1 April in England), so 7 referrals.
    assert _nonzero(_column(tables["Referrals by quarter received"], referrals)) == {
        "April 2024 to June 2024": 2,
        "July 2024 to September 2024": 2,
        "October 2024 to December 2024": 1,
        "January 2025 to March 2025": 2,
        "Total": 7,
    }
    assert _nonzero(_column(tables["Referrals by sector of referrer"], referrals)) == {
        "Education": 3,
        "Police": 2,
        "Health": 1,
        "Local authority": 1,
        "Total": 7,
    }
    assert _nonzero(_column(tables["Referrals by type of concern"], referrals)) == {
        "Islamist": 3,
        "Extreme right-wing": 2,
        "Mixed, unclear or unstable": 1,
        "Conflicted": 1,
        "Total": 7,
    }
    # R8's age and gender went with its personal data (redacted).
    assert _nonzero(_column(tables["Referrals by age group"], referrals)) == {
        "10 or under": 1,
        "11-15": 2,
        "16-17": 1,
        "18-20": 1,
        "31-40": 1,
        "Not known": 1,
        "Total": 7,
    }
    assert _nonzero(_column(tables["Referrals by gender"], referrals)) == {
        "Male": 3,
        "Female": 2,
        "Not known": 2,
        "Total": 7,
    }
    outcomes = tables["Outcomes of referrals by sector of referrer"]
    assert _nonzero(_column(outcomes, "No further action")) == {
        "Education": 1,
        "Local authority": 1,
        "Total": 2,
    }
    assert _nonzero(_column(outcomes, "Signposted to other services")) == {
        "Education": 1,
        "Total": 1,
    }
    assert _nonzero(_column(outcomes, "Police-led case management")) == {"Education": 1, "Total": 1}
    assert _nonzero(_column(outcomes, "Adopted as a Channel case")) == {"Police": 1, "Total": 1}
    assert _nonzero(_column(outcomes, "Discussed at a Channel panel, not adopted")) == {
        "Health": 1,
        "Total": 1,
    }
    assert _nonzero(_column(outcomes, "Awaiting an outcome")) == {"Police": 1, "Total": 1}
    assert _column(outcomes, "Total") == _column(
        tables["Referrals by sector of referrer"], referrals
    )
    channel = tables["Channel cases discussed and adopted by type of concern"]
    assert _nonzero(_column(channel, "Discussed at a Channel panel")) == {
        "Islamist": 1,
        "Mixed, unclear or unstable": 1,
        "Total": 2,
    }
    assert _nonzero(_column(channel, "Adopted as a Channel case")) == {"Islamist": 1, "Total": 1}
    by_age = tables["Channel cases discussed and adopted by age group"]
    assert _nonzero(_column(by_age, "Discussed at a Channel panel")) == {
        "18-20": 1,
        "31-40": 1,
        "Total": 2,
    }


async def test_an_older_release_s_age_groups_come_from_the_same_fact_rows(
    statistics: Statistics,
) -> None:
    await _run_script(statistics)
    answer = await statistics.http.get(
        f"{statistics.url}/v1/releases/2024-25",
        params={"age_groups": "early"},
        headers=statistics.headers(Role.AUDITOR),
    )
    [ages] = [t for t in answer.json()["tables"] if "Referrals by age group" in t["title"]]
    assert _nonzero(_column(ages, "Number of referrals")) == {
        "Under 15": 3,
        "15-20": 2,
        "31-40": 1,
        "Not known": 1,
        "Total": 7,
    }
    # Only groups are kept: no age, no date of birth.
    async with statistics.pool.acquire() as conn:
        columns = {
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = 'statistics'"
            )
        }
        groups = await conn.fetchval(
            "SELECT age_groups FROM statistics.referrals WHERE reference = 'PRV-R4'"
        )
    assert not {c for c in columns if "birth" in c or c in {"age", "age_at_referral"}}
    assert groups == {"early": "31-40", "recent": "31-40"}


async def test_intake_logs_each_read_of_age_and_gender(statistics: Statistics) -> None:
    ids = await _run_script(statistics)
    async with statistics.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT subject, role, referral_id, fields, purpose FROM audit.access_log"
            " WHERE subject = 'svc-statistics'"
        )
    assert {r["referral_id"] for r in rows} >= set(ids.values()) - {ids["R8"]}
    assert {(r["role"], tuple(r["fields"]), r["purpose"]) for r in rows} == {
        ("service", ("age_at_referral", "gender"), "referral-facts.read")
    }


async def test_an_area_s_tables_suppress_small_counts(statistics: Statistics) -> None:
    await _run_script(statistics)
    answer = await statistics.get(
        "/v1/releases/2024-25",
        params={"scope": f"area:{MANCHESTER}"},
        headers=statistics.headers(Role.CHANNEL_CHAIR, (MANCHESTER,)),
    )
    assert answer.status_code == 200, answer.text
    release = answer.json()
    assert release["suppressed_below"] == 2 and release["scope"] == "Manchester"
    [sectors] = [t for t in release["tables"] if "Referrals by sector" in t["title"]]
    # Manchester: R1, R2 (education), R3 (police), R8 (local authority). The ones are [c],
    # and so is the rest of the column: the national tables (published whole) are
    # Manchester's, Leeds's and Westminster's added up, and the other two areas' small counts
    # need partners here (Westminster's one education referral would be the nation's 3 less
    # Manchester's 2 were that 2 shown; each scope protected alone showed it).
    found = _nonzero(_column(sectors, "Number of referrals"))
    assert found["Police"] == "[c]" and found["Local authority"] == "[c]"
    assert set(found.values()) == {"[c]"}


async def test_the_ods_download_holds_the_tables_cell_by_cell(statistics: Statistics) -> None:
    await _run_script(statistics)
    answer = await statistics.http.get(
        f"{statistics.url}/v1/releases/2024-25/release.ods",
        headers=statistics.headers(Role.PREVENT_OFFICER, (MANCHESTER,)),
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.oasis.opendocument.spreadsheet"
    sheets = _read_ods(answer.content)
    assert list(sheets)[:3] == ["Cover", "Contents", "Notes"]
    assert sheets["Cover"][0] == [
        "Individuals referred to and supported through the Prevent programme"
    ]
    sector = sheets["Table_2"]
    assert sector[0] == [
        "Table 2: Referrals by sector of referrer, England and Wales, April 2024 to March 2025"
    ]
    header = sector.index(["Sector of referrer", "Number of referrals"])
    assert sector[header + 1 :] == [
        ["Education", 3.0],
        ["Police", 2.0],
        ["Health", 1.0],
        ["Local authority", 1.0],
        ["Community", 0.0],
        ["Family or friend", 0.0],
        ["Other", 0.0],
        ["Not known", 0.0],
        ["Total", 7.0],
    ]
    assert all(row for rows in sheets.values() for row in rows)  # no blank rows
    assert ["note 1"] == sheets["Notes"][2][:1] or sheets["Notes"][3][:1] == ["note 1"]
    assert b"number-columns-spanned" not in answer.content  # nothing merged


async def test_the_csv_download_has_one_line_per_number(statistics: Statistics) -> None:
    await _run_script(statistics)
    answer = await statistics.get(
        "/v1/releases/2024-25-Q1/release.csv",
        params={"scope": "force:E23000005"},
        headers=statistics.headers(Role.OPERATOR),
    )
    assert answer.status_code == 200
    lines = list(csv.DictReader(io.StringIO(answer.text)))
    totals = [
        line["value"] for line in lines if line["table"] == "Table_1" and line["row"] == "Total"
    ]
    # Greater Manchester, April to June 2024: R1 and R2 (no quarter table in a quarter's
    # release; table 1 is by sector). 2 is not below the threshold of 2.
    assert totals == ["2"]
    assert {line["value"] for line in lines} <= {"0", "1", "2", "[c]"}
    assert "1" not in {line["value"] for line in lines}


async def test_roles_without_access_get_a_403_problem(statistics: Statistics) -> None:
    for role in (
        Role.PARTNER_REFERRER,
        Role.PANEL_MEMBER,
        Role.INTERVENTION_PROVIDER,
        Role.PERSON_OR_GUARDIAN,
    ):
        for path in ("/v1/releases/2024-25", "/v1/releases/2024-25/release.ods", "/v1/areas"):
            answer = await statistics.http.get(
                f"{statistics.url}{path}", headers=statistics.headers(role)
            )
            assert answer.status_code == 403, (role, path)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["title"] == "Forbidden"
    anonymous = await statistics.http.get(f"{statistics.url}/v1/releases/2024-25")
    assert anonymous.status_code == 401


async def test_unknown_periods_and_areas_are_problems(statistics: Statistics) -> None:
    headers = statistics.headers(Role.AUDITOR)
    for path, params, status in (
        ("/v1/releases/2024-26", {}, 404),
        ("/v1/releases/2024", {}, 422),
        ("/v1/releases/2024-25", {"scope": "area:E99999999"}, 404),
        ("/v1/releases/2024-25", {"scope": "area"}, 422),
        ("/v1/releases/2024-25", {"age_groups": "nineteen"}, 404),
    ):
        answer = await statistics.http.get(
            f"{statistics.url}{path}", params=params, headers=headers
        )
        assert answer.status_code == status, (path, params, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"


def _read_ods(content: bytes) -> dict[str, list[list[Any]]]:
    """Each sheet's rows of values: floats for numbers, text otherwise (trailing empties cut)."""
    doc = load(io.BytesIO(content))
    sheets: dict[str, list[list[Any]]] = {}
    for sheet in doc.spreadsheet.getElementsByType(Table):
        rows = []
        for row in sheet.getElementsByType(TableRow):
            values: list[Any] = []
            for cell in row.getElementsByType(TableCell):
                if cell.getAttribute("valuetype") == "float":
                    values.append(float(cell.getAttribute("value")))
                else:
                    values.append("".join(str(p) for p in cell.getElementsByType(P)))
            rows.append(values)
        sheets[str(sheet.getAttribute("name"))] = rows
    return sheets
